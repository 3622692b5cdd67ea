-- Reads, in one round trip, the customers whose population index score lies in any of the
-- given ranges, with their states: what a population view's re-decisions need.
-- KEYS[1] population index sorted set   KEYS[2] customers hash (customerId -> state)
-- ARGV pairs of (min, max) score bounds ('-inf' / '+inf' allowed)
-- Returns: { ids, states (false = none) }, ids distinct, in range order.
local ids = {}
local seen = {}
for r = 1, #ARGV, 2 do
  local members = redis.call('ZRANGE', KEYS[1], ARGV[r], ARGV[r + 1], 'BYSCORE')
  for j = 1, #members do
    local id = members[j]
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
end
return { ids, hmgetChunked(KEYS[2], ids) }
