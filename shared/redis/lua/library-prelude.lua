-- Helpers shared by the functions of the library (loaded before them, in the same library).

-- HMGET of any number of fields, in chunks: Lua's unpack fails above LUAI_MAXCSTACK (8,000)
-- values ("too many results to unpack"). A missing field is false, so the result stays a proper
-- array for the reply.
local function hmgetChunked(key, fields)
  local values = {}
  local CHUNK = 1000
  for first = 1, #fields, CHUNK do
    local last = math.min(first + CHUNK - 1, #fields)
    local chunk = redis.call('HMGET', key, unpack(fields, first, last))
    for j = 1, #chunk do values[first + j - 1] = chunk[j] end
  end
  return values
end

-- Per-customer buckets. A partition's population index (customerId -> score) and timers
-- (customerId -> due time, one set of buckets per timer kind) are not one sorted set each but
-- many small hashes, "<index base>:<bucket>" and "<timers base>:<kind>:<bucket>", chosen by the
-- customer id: Redis keeps a hash of at most hash-max-listpack-entries (128 by default) fields
-- as a listpack, ~20 bytes an entry, where a sorted set entry takes ~110. The number of buckets
-- grows by linear hashing (one bucket split at a time, never a rehash of the whole partition):
-- with n buckets and `low` the largest power of two <= n, a customer's bucket is h mod 2*low, or
-- h mod low when that is n or above, h being the first 32 bits of SHA-1 of the id. Meta fields:
-- buckets (n, 1 when absent), indexEntries, timersPending, timerKinds (comma-separated). A
-- sorted set of timer buckets ("<kind>|<bucket>") by the earliest due time in each finds the due
-- timers without reading the others. Timers keep the runtime's member "<kind>|<customerId>"
-- everywhere else; the kind is in the key so that no entry repeats it.
-- The bucket keys are derived from the base keys in KEYS: they carry the same hash tag, so they
-- live in the partition's slot on Redis Cluster too.

-- Entries a bucket holds on average before one is split. Linear hashing's buckets not split yet
-- in a round hold up to twice the average of those split (a bucket's share of ids is 1/low
-- against 1/2low), so 48 keeps the largest near 96 and, with chance's spread (about 3 x 10), under
-- the listpack limit of 128 entries.
local BUCKET_TARGET = 48

local function customerHash(id)
  return tonumber(string.sub(redis.sha1hex(id), 1, 8), 16)
end

local function bucketOf(hash, n)
  local low = 1
  while low * 2 <= n do low = low * 2 end
  local b = hash % (low * 2)
  if b >= n then b = hash % low end
  return b
end

-- "<kind>|<customerId>" -> kind, customerId (a kind holds no '|').
local function splitTimerMember(member)
  local at = string.find(member, '|', 1, true)
  return string.sub(member, 1, at - 1), string.sub(member, at + 1)
end

local function bucketCount(meta)
  return tonumber(redis.call('HGET', meta, 'buckets') or '1')
end

-- The layout of one partition, opened by a writing function and closed (written back) at its end.
local function openBuckets(meta, index, timers, timerDue)
  local stored = redis.call('HMGET', meta, 'buckets', 'indexEntries', 'timersPending', 'timerKinds')
  local kinds = {}
  for kind in string.gmatch(stored[4] or '', '[^,]+') do kinds[#kinds + 1] = kind end
  return {
    meta = meta, index = index, timers = timers, timerDue = timerDue,
    n = tonumber(stored[1] or '1'),
    indexEntries = tonumber(stored[2] or '0'),
    timersPending = tonumber(stored[3] or '0'),
    kinds = kinds,
    touchedTimers = {},
  }
end

local function timerBucketKey(L, kind, b)
  return L.timers .. ':' .. kind .. ':' .. b
end

-- Moves the entries of bucket `from` (key base .. ':' .. from) that belong to the bucket added
-- last (n - 1); true when any moved.
local function splitBucketOf(base, from, n)
  local entries = redis.call('HGETALL', base .. ':' .. from)
  local moved = false
  for j = 1, #entries, 2 do
    local b = bucketOf(customerHash(entries[j]), n)
    if b ~= from then
      redis.call('HDEL', base .. ':' .. from, entries[j])
      redis.call('HSET', base .. ':' .. b, entries[j], entries[j + 1])
      moved = true
    end
  end
  return moved
end

local function growBuckets(L)
  while math.max(L.indexEntries, L.timersPending) > L.n * BUCKET_TARGET do
    local low = 1
    while low * 2 <= L.n do low = low * 2 end
    local from = L.n - low
    L.n = L.n + 1
    splitBucketOf(L.index, from, L.n)
    for _, kind in ipairs(L.kinds) do
      if splitBucketOf(L.timers .. ':' .. kind, from, L.n) then
        L.touchedTimers[kind .. '|' .. from] = true
        L.touchedTimers[kind .. '|' .. (L.n - 1)] = true
      end
    end
  end
end

local function indexPut(L, id, score)
  local key = L.index .. ':' .. bucketOf(customerHash(id), L.n)
  L.indexEntries = L.indexEntries + redis.call('HSET', key, id, score)
  growBuckets(L)
end

local function indexDelete(L, id)
  local key = L.index .. ':' .. bucketOf(customerHash(id), L.n)
  L.indexEntries = L.indexEntries - redis.call('HDEL', key, id)
end

local function timerSet(L, member, due)
  local kind, id = splitTimerMember(member)
  local known = false
  for _, k in ipairs(L.kinds) do
    if k == kind then known = true end
  end
  if not known then L.kinds[#L.kinds + 1] = kind end
  local b = bucketOf(customerHash(id), L.n)
  L.timersPending = L.timersPending + redis.call('HSET', timerBucketKey(L, kind, b), id, due)
  L.touchedTimers[kind .. '|' .. b] = true
  growBuckets(L)
end

local function timerDelete(L, member)
  local kind, id = splitTimerMember(member)
  local b = bucketOf(customerHash(id), L.n)
  local removed = redis.call('HDEL', timerBucketKey(L, kind, b), id)
  if removed > 0 then
    L.timersPending = L.timersPending - removed
    L.touchedTimers[kind .. '|' .. b] = true
  end
end

-- Writes the layout back: the counts, the kinds, and each changed timer bucket's earliest due.
local function closeBuckets(L)
  for bucket in pairs(L.touchedTimers) do
    local kind, b = splitTimerMember(bucket)
    local dues = redis.call('HVALS', timerBucketKey(L, kind, b))
    -- The stored text, not a Lua number: those print with 14 significant digits.
    local earliest, earliestText = nil, nil
    for j = 1, #dues do
      local due = tonumber(dues[j])
      if earliest == nil or due < earliest then earliest, earliestText = due, dues[j] end
    end
    if earliest == nil then
      redis.call('ZREM', L.timerDue, bucket)
    else
      redis.call('ZADD', L.timerDue, earliestText, bucket)
    end
  end
  redis.call('HSET', L.meta, 'buckets', L.n, 'indexEntries', L.indexEntries,
    'timersPending', L.timersPending, 'timerKinds', table.concat(L.kinds, ','))
end

-- Moves a partition's index and timers from the sorted sets of earlier releases (the base keys
-- themselves) into buckets, once, when the partition is claimed.
local function migrateSortedSets(L)
  local moved = false
  for _, legacy in ipairs({ { key = L.index, put = indexPut }, { key = L.timers, put = timerSet } }) do
    -- ZCARD and ZREMRANGEBYRANK rather than EXISTS and DEL: a worker's ACL lets it delete no key.
    if redis.call('ZCARD', legacy.key) > 0 then
      local entries = redis.call('ZRANGE', legacy.key, 0, -1, 'WITHSCORES')
      redis.call('ZREMRANGEBYRANK', legacy.key, 0, -1)
      for j = 1, #entries, 2 do legacy.put(L, entries[j], entries[j + 1]) end
      moved = true
    end
  end
  return moved
end
