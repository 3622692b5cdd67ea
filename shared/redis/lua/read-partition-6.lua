-- Reads everything one segment of a batch needs in one round trip.
-- KEYS[1] meta hash, KEYS[2] customers hash (customerId -> state), KEYS[3] timers: the base of
--   the timer buckets (hashes "<timers>:<kind>:<n>", customerId -> due, library-prelude.lua),
--   KEYS[4] recent-events hash (customerId -> the event ids applied lately,
--   shared/runtime/recent-events.ts), KEYS[5] erased hash (SHA-1 of an erased customer's id ->
--   erasure event time), KEYS[6] timer buckets ("<kind>|<n>") by their earliest due time
-- ARGV[1] highest timer due time to load ('' = load no timers)
-- ARGV[2] most timers to load
-- ARGV[3..] customer ids whose state is needed
-- Returns: { meta (flat HGETALL), timers (flat member, due; the earliest due first), ids, states (false = none),
--   recent events (false = none), erasure times (false = not erased) }
-- The states of customers whose timers are due are included, so timers can fire in memory.
local timers = {}
if ARGV[1] ~= '' and tonumber(ARGV[2]) > 0 then
  -- The buckets whose earliest timer is due, earliest first. Once the limit's worth is found,
  -- its limit-th due time bounds the rest: a bucket whose earliest comes after it adds nothing,
  -- and ends the search.
  local limit, maxDue = tonumber(ARGV[2]), tonumber(ARGV[1])
  local due = {}
  local bound = maxDue
  local function keepEarliest()
    table.sort(due, function(a, b)
      if a.at ~= b.at then return a.at < b.at end
      return a.member < b.member
    end)
    for k = #due, limit + 1, -1 do due[k] = nil end
    if #due >= limit then bound = due[limit].at end
  end
  local offset, PAGE = 0, 64
  local done = false
  while not done do
    local buckets = redis.call('ZRANGE', KEYS[6], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', offset, PAGE, 'WITHSCORES')
    done = #buckets < 2 * PAGE
    for j = 1, #buckets, 2 do
      if tonumber(buckets[j + 1]) > bound then
        done = true
        break
      end
      local kind, b = splitTimerMember(buckets[j])
      local entries = redis.call('HGETALL', KEYS[3] .. ':' .. kind .. ':' .. b)
      for e = 1, #entries, 2 do
        local at = tonumber(entries[e + 1])
        if at <= bound then
          due[#due + 1] = { member = kind .. '|' .. entries[e], at = at, text = entries[e + 1] }
        end
      end
      if #due >= 2 * limit then keepEarliest() end
    end
    offset = offset + PAGE
  end
  keepEarliest()
  for k = 1, #due do
    timers[#timers + 1] = due[k].member
    timers[#timers + 1] = due[k].text
  end
end
local ids = {}
local seen = {}
for i = 3, #ARGV do
  if not seen[ARGV[i]] then
    seen[ARGV[i]] = true
    ids[#ids + 1] = ARGV[i]
  end
end
for i = 1, #timers, 2 do
  local member = timers[i]
  local customerId = string.sub(member, string.find(member, '|', 1, true) + 1)
  if not seen[customerId] then
    seen[customerId] = true
    ids[#ids + 1] = customerId
  end
end
-- A step asks for its own customers plus those of up to the timer limit of due timers: any
-- number of them (hmgetChunked, library-prelude.lua).
local states = hmgetChunked(KEYS[2], ids)
-- Only a customer without state can be erased (an erasure deletes it, a re-admission clears the
-- mark before any state comes back): most steps hash nothing, or only their new customers.
local stateless, digests = {}, {}
for k = 1, #ids do
  if not states[k] then
    stateless[#stateless + 1] = k
    digests[#digests + 1] = redis.sha1hex(ids[k])
  end
end
local erased = {}
for k = 1, #ids do erased[k] = false end
if #digests > 0 then
  local times = hmgetChunked(KEYS[5], digests)
  for j = 1, #stateless do erased[stateless[j]] = times[j] end
end
return { redis.call('HGETALL', KEYS[1]), timers, ids, states, hmgetChunked(KEYS[4], ids), erased }
