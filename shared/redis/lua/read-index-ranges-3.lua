-- Reads, in one round trip, the customers whose population index score lies in any of the
-- given ranges, with their scores and states: what a population view's re-decisions need. The
-- scores let a step keep what it read and answer later ranges inside it without asking again.
-- KEYS[1] population index sorted set   KEYS[2] customers hash (customerId -> state)
-- ARGV pairs of (min, max) score bounds ('-inf' / '+inf' allowed)
-- Returns: { ids, scores, states (false = none) }, ids distinct, in range order.
local ids = {}
local scores = {}
local seen = {}
for r = 1, #ARGV, 2 do
  local members = redis.call('ZRANGE', KEYS[1], ARGV[r], ARGV[r + 1], 'BYSCORE', 'WITHSCORES')
  for j = 1, #members, 2 do
    local id = members[j]
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
      scores[#scores + 1] = members[j + 1]
    end
  end
end
return { ids, scores, hmgetChunked(KEYS[2], ids) }
