-- ANCHOR: refresh
-- The keeper's refresh: each of this server's running entries that is still pending under
-- this server's name is claimed again by it, which sets its idle time back to zero without
-- counting a delivery. An entry another server has claimed meanwhile (this one was cut off
-- for longer than claim_idle) is left to it: taking it back would hand it to and fro.
-- KEYS: stream
-- ARGV: group, this server's consumer name, entry ids…
local refreshed = 0
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if pending[1] and pending[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    refreshed = refreshed + 1
  end
end
return refreshed
-- ANCHOR_END: refresh
