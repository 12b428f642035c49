-- ANCHOR: start
-- A worker took the job's entry from the stream: pending becomes running, here. A job
-- already running was claimed from a server that stopped answering: it runs again, here.
-- Any other status (cancelled while queued, or finished before its server died): the entry
-- is acknowledged and deleted, and the job is skipped.
-- KEYS: job hash, queued counter, stream
-- ARGV: this server's consumer name, now (ms), group, entry id
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'pending' then
  redis.call('DECR', KEYS[2])
elseif status ~= 'running' then
  redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[3], ARGV[4])
  return { 'skip', status or 'expired' }
end
redis.call('HSET', KEYS[1], 'status', 'running', 'server', ARGV[1], 'updated_at', ARGV[2])
local job = redis.call('HMGET', KEYS[1], 'body', 'created_at')
return { status == 'pending' and 'run' or 'rerun', job[1], job[2] }
-- ANCHOR_END: start
