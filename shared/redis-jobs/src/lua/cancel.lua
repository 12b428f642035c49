-- ANCHOR: cancel
-- DELETE /jobs/{id} on any server: a pending or running job becomes cancelled now. The
-- message on the channel reaches the server running it, which cancels the job's context;
-- a pending job's entry is skipped by whichever worker reads it. Returns 'ok', or the
-- status that could not be cancelled ('expired': no such job).
-- KEYS: job hash, queued counter
-- ARGV: now (ms), TTL (s), channel, id, why (a JSON string, or '' for a client's DELETE)
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' and status ~= 'running' then
  return status or 'expired'
end
if status == 'pending' then
  redis.call('DECR', KEYS[2])
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'updated_at', ARGV[1])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'outcome', ARGV[5])
end
redis.call('HDEL', KEYS[1], 'body', 'server')
redis.call('EXPIRE', KEYS[1], ARGV[2])
local key = redis.call('HGET', KEYS[1], 'idempotency_key')
if key then
  redis.call('EXPIRE', key, ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 'ok'
-- ANCHOR_END: cancel
