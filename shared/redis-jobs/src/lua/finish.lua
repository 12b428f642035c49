-- ANCHOR: finish
-- A worker's job ended: running becomes completed, failed or cancelled, the record and its
-- idempotency key start their TTL, every server hears of it, and the entry is acknowledged
-- and deleted. A job cancelled meanwhile keeps `cancelled`: the client's DELETE came first.
-- Then, in the same round trip, the worker's next entry, unless it asked for none.
-- KEYS: job hash, stream
-- ARGV: status, outcome JSON ('' for none), now (ms), TTL (s), group, entry id, channel, id,
--       this server's consumer name to read the next entry as ('' for none)
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'running' then
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[3])
  if ARGV[2] ~= '' then
    redis.call('HSET', KEYS[1], 'outcome', ARGV[2])
  end
  redis.call('HDEL', KEYS[1], 'body', 'server')
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  local key = redis.call('HGET', KEYS[1], 'idempotency_key')
  if key then
    redis.call('EXPIRE', key, ARGV[4])
  end
  redis.call('PUBLISH', ARGV[7], ARGV[8])
  status = ARGV[1]
end
redis.call('XACK', KEYS[2], ARGV[5], ARGV[6])
redis.call('XDEL', KEYS[2], ARGV[6])
status = status or 'expired'
if ARGV[9] ~= '' then
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[5], ARGV[9], 'COUNT', 1,
    'STREAMS', KEYS[2], '>')
  if read then
    local entry = read[1][2][1] -- { entry id, { 'id', job id } }
    return { status, entry[1], entry[2][2] or '' }
  end
end
return { status }
-- ANCHOR_END: finish
