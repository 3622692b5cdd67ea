-- Reads, in one round trip, the customers whose population index score lies in any of the
-- given ranges, with their scores and states: what a population view's re-decisions need. The
-- scores let a step keep what it read and answer later ranges inside it without asking again.
-- The index is bucketed by customer id (library-prelude.lua), so every bucket is read: a
-- partition's whole index, ~100 entries a bucket, for a listpack's ~20 bytes an entry where a
-- sorted set took ~110 (the runtime asks once per step, for every range the step needs).
-- KEYS[1] meta hash   KEYS[2] population index (base of its buckets)   KEYS[3] customers hash
-- ARGV pairs of (min, max) score bounds, inclusive ('-inf' / '+inf' allowed)
-- Returns: { ids, scores, states (false = none) }, ids distinct, by score then id.
local function bound(text)
  if text == '-inf' then return -math.huge end
  if text == '+inf' then return math.huge end
  return tonumber(text)
end
local ranges = {}
for r = 1, #ARGV, 2 do ranges[#ranges + 1] = { bound(ARGV[r]), bound(ARGV[r + 1]) } end
local found = {}
for b = 0, bucketCount(KEYS[1]) - 1 do
  local entries = redis.call('HGETALL', KEYS[2] .. ':' .. b)
  for j = 1, #entries, 2 do
    local score = tonumber(entries[j + 1])
    for r = 1, #ranges do
      if score >= ranges[r][1] and score <= ranges[r][2] then
        found[#found + 1] = { id = entries[j], score = score, text = entries[j + 1] }
        break
      end
    end
  end
end
table.sort(found, function(a, b)
  if a.score ~= b.score then return a.score < b.score end
  return a.id < b.id
end)
local ids, scores = {}, {}
for k = 1, #found do
  ids[k] = found[k].id
  scores[k] = found[k].text
end
return { ids, scores, hmgetChunked(KEYS[3], ids) }
