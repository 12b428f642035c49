-- ANCHOR: submit
-- POST /jobs, in one step: a retry with the same Idempotency-Key finds its job; a full
-- queue refuses; else the job's hash is written and its id added to the stream.
-- KEYS: job hash, stream, queued counter, idempotency key (the job hash again if none)
-- ARGV: id, kind, body, now (ms), queue bound, has key (1/0), key's life before the job ends (s)
if ARGV[6] == '1' then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then
    -- Stored as "<id>\n<body>": the same key with another body is a client's mistake.
    local same = string.sub(earlier, 38) == ARGV[3]
    return { same and 'replayed' or 'conflict', string.sub(earlier, 1, 36) }
  end
end
local queued = tonumber(redis.call('GET', KEYS[3]) or '0')
if queued >= tonumber(ARGV[5]) then
  return { 'full', tostring(queued) }
end
redis.call('HSET', KEYS[1], 'kind', ARGV[2], 'status', 'pending', 'body', ARGV[3],
  'created_at', ARGV[4], 'updated_at', ARGV[4])
if ARGV[6] == '1' then
  redis.call('SET', KEYS[4], ARGV[1] .. '\n' .. ARGV[3], 'EX', ARGV[7])
  redis.call('HSET', KEYS[1], 'idempotency_key', KEYS[4])
end
redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
return { 'accepted', ARGV[1] }
-- ANCHOR_END: submit
