-- Applies one segment of a partition's batch atomically: customer states, the population
-- index, counters, timers, the outbox of output events and dead letters, and the offset and
-- stream time reached. Everything is validated before the first write, because a Lua script
-- does not roll back.
-- KEYS[1] meta hash (epoch, version, offset:<topic>, streamTime, startedAt, ...)
-- KEYS[2] customers hash      KEYS[3] population index (base of its buckets: customerId -> score)
-- KEYS[4] counters hash       KEYS[5] timers (base of their buckets: customerId -> due time)
-- KEYS[6] outbox list         (the buckets: library-prelude.lua)
-- KEYS[7] snapshots hash (boundary -> the population counters: whole json, or '@<boundary>' and
--   the json of the fields that differ from the whole snapshot stored at that boundary)
-- KEYS[8] recent-events hash (customerId -> the event ids applied lately: idempotent intake)
-- KEYS[9] erased hash (SHA-1 of an erased customer's id -> erasure event time)
-- KEYS[10] timer buckets ("<kind>|<n>") by their earliest due time (sorted set)
-- ARGV[1] owner epoch held by the caller
-- ARGV[2] meta version the caller read (CAS against concurrent steps)
-- ARGV[3] offset field ('' when no record is applied), ARGV[4] new offset
-- ARGV[5] outbox entries at the head of the outbox that earlier steps produced to Kafka and did
--   not acknowledge yet (removed here, with this step's writes, instead of by one more call)
-- ARGV[6] sections, each a count followed by its items:
--   state puts (id, json), state deletes (id), index puts (id, score), index deletes (id),
--   counter deltas (field, delta), timer sets (member, due), timer deletes (member),
--   outbox entries (json), meta sets (field, value), recent-events puts (id, list), recent-events
--   deletes (id), erased puts (digest, time), erased deletes (digest), the recent-events sweep
--   (floor, '' = none, and about how many fields to visit), then the population
--   snapshots the step
--   took (the partition's population counters as of each snapshot instant it passed, computed by
--   the caller from the counters it read and the step's changes): a count, the snapshots
--   (boundary, json), then the boundary below which snapshots are dropped, the pub/sub channel
--   ('' = none) and the partition; each is announced on the channel with its stored value
--   ("data <partition> <boundary> <value>") and then as "<partition> <boundary>", so that
--   partitions waiting for its view in any process wake at once, the value already in hand
-- Every section is applied one item per command in a loop, never with unpack (Lua's stack holds
-- at most 8,000 values): FCALL hands ARGV to Lua as a table, so a segment may carry any number of
-- items (tested with 20,000 states, index entries, counters and outbox entries in one call).
-- Returns: { new version, timers pending after the step } (the count feeds the pending-timers
--   gauge exactly, without another round trip); -1 when a newer owner holds the partition
--   (fenced), -2 on a version conflict, -3 when the offset would not move forward, -4 when Redis
--   holds an older epoch or none (it lost our writes: claim again and replay).
local meta = KEYS[1]
local stored = redis.call('HMGET', meta, 'epoch', 'version', 'recentEventsSweep')
local held = tonumber(stored[1] or '0')
if held > tonumber(ARGV[1]) then return -1 end
if held < tonumber(ARGV[1]) then return -4 end
local version = tonumber(stored[2] or '0')
if version ~= tonumber(ARGV[2]) then return -2 end
if ARGV[3] ~= '' then
  local last = redis.call('HGET', meta, ARGV[3])
  if last and tonumber(last) >= tonumber(ARGV[4]) then return -3 end
end

local i = 6
local function take()
  local n = tonumber(ARGV[i])
  i = i + 1
  return n
end

local n = take()
for _ = 1, n do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = take()
for _ = 1, n do redis.call('HDEL', KEYS[2], ARGV[i]); i = i + 1 end
local layout = openBuckets(meta, KEYS[3], KEYS[5], KEYS[10])
n = take()
for _ = 1, n do indexPut(layout, ARGV[i], ARGV[i + 1]); i = i + 2 end
n = take()
for _ = 1, n do indexDelete(layout, ARGV[i]); i = i + 1 end
n = take()
for _ = 1, n do
  local value = redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])
  if value == 0 then redis.call('HDEL', KEYS[4], ARGV[i]) end
  i = i + 2
end
n = take()
for _ = 1, n do timerSet(layout, ARGV[i], ARGV[i + 1]); i = i + 2 end
n = take()
for _ = 1, n do timerDelete(layout, ARGV[i]); i = i + 1 end
closeBuckets(layout)
n = take()
for _ = 1, n do redis.call('RPUSH', KEYS[6], ARGV[i]); i = i + 1 end
n = take()
for _ = 1, n do redis.call('HSET', meta, ARGV[i], ARGV[i + 1]); i = i + 2 end
if ARGV[3] ~= '' then redis.call('HSET', meta, ARGV[3], ARGV[4]) end
n = take()
for _ = 1, n do redis.call('HSET', KEYS[8], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = take()
for _ = 1, n do redis.call('HDEL', KEYS[8], ARGV[i]); i = i + 1 end
n = take()
for _ = 1, n do redis.call('HSET', KEYS[9], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = take()
for _ = 1, n do redis.call('HDEL', KEYS[9], ARGV[i]); i = i + 1 end
-- Customers idle beyond the dedupe horizon keep no event ids, though nothing touches them: a
-- cursor through the hash (meta field recentEventsSweep) visits about the given number of fields
-- a step and deletes each whose newest id is older than the floor (it can match no later record).
-- Entries are "<time, base 36>:<hash>" joined by ','; the hash never holds ':'.
local sweepFloor, sweepFields = ARGV[i], ARGV[i + 1]
i = i + 2
if sweepFloor ~= '' then
  local floor = tonumber(sweepFloor)
  local cursor = stored[3] or '0'
  local scan = redis.call('HSCAN', KEYS[8], cursor, 'COUNT', sweepFields)
  local found = scan[2]
  for j = 1, #found, 2 do
    local newest = -1
    for time in string.gmatch(found[j + 1], '([0-9a-z]+):') do
      local t = tonumber(time, 36)
      if t > newest then newest = t end
    end
    if newest < floor then redis.call('HDEL', KEYS[8], found[j]) end
  end
  redis.call('HSET', meta, 'recentEventsSweep', scan[1])
end
n = take()
if n > 0 then
  local first = i
  local dropBefore, channel, partition = ARGV[i + 2 * n], ARGV[i + 2 * n + 1], ARGV[i + 2 * n + 2]
  for _ = 1, n do
    redis.call('HSET', KEYS[7], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  -- Below dropBefore everything goes but the newest whole snapshot ('{...}'): a delta kept
  -- ('@<boundary>{...}') refers to the whole snapshot stored last before it, which is that one
  -- or a newer one (shared/runtime/snapshot-codec.ts).
  local retained = redis.call('HKEYS', KEYS[7])
  local old = {}
  for j = 1, #retained do
    if tonumber(retained[j]) < tonumber(dropBefore) then old[#old + 1] = retained[j] end
  end
  table.sort(old, function(a, b) return tonumber(a) > tonumber(b) end)
  local keptWhole = false
  for j = 1, #old do
    if not keptWhole and string.sub(redis.call('HGET', KEYS[7], old[j]), 1, 1) == '{' then
      keptWhole = true
    else
      redis.call('HDEL', KEYS[7], old[j])
    end
  end
  redis.call('HSET', meta, 'snapshotBoundary', ARGV[i - 2])
  if channel ~= '' then
    -- The stored value first ("data <partition> <boundary> <value>"), then the wake-up: a
    -- subscriber keeps the value and merges its view without reading the snapshot back.
    for j = first, i - 1, 2 do
      redis.call('PUBLISH', channel, 'data ' .. partition .. ' ' .. ARGV[j] .. ' ' .. ARGV[j + 1])
      redis.call('PUBLISH', channel, partition .. ' ' .. ARGV[j])
    end
  end
end
-- The produced entries are the oldest: at the head, before any this step added.
local produced = tonumber(ARGV[5])
if produced > 0 then redis.call('LTRIM', KEYS[6], produced, -1) end
redis.call('HSET', meta, 'version', version + 1)
return { version + 1, layout.timersPending }
