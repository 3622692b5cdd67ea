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
-- HMGET in chunks: Lua's unpack fails above LUAI_MAXCSTACK (8,000) values.
local states = {}
local CHUNK = 1000
for first = 1, #ids, CHUNK do
  local last = math.min(first + CHUNK - 1, #ids)
  local chunk = redis.call('HMGET', KEYS[2], unpack(ids, first, last))
  for j = 1, #chunk do states[first + j - 1] = chunk[j] end
end
return { ids, states }
