-- Snapshots the partition's population counters at a stream-time boundary, so that the
-- population view of that boundary can be merged from every partition.
-- KEYS[1] meta hash   KEYS[2] counters hash   KEYS[3] snapshots hash (boundary -> json)
-- ARGV[1] owner epoch   ARGV[2] meta version read   ARGV[3] boundary
-- ARGV[4] counter field prefix to copy   ARGV[5] drop snapshots older than this boundary
-- ARGV[6] pub/sub channel told "<partition> <boundary>" so that partitions waiting for this
--   boundary's view in any process wake at once ('' = none); ARGV[7] the partition number
-- Returns: the new version; -1 a newer owner (fenced); -2 version conflict; -4 Redis lost our
-- writes (older epoch or none).
local stored = redis.call('HMGET', KEYS[1], 'epoch', 'version')
local held = tonumber(stored[1] or '0')
if held > tonumber(ARGV[1]) then return -1 end
if held < tonumber(ARGV[1]) then return -4 end
local version = tonumber(stored[2] or '0')
if version ~= tonumber(ARGV[2]) then return -2 end

local prefix = ARGV[4]
local fields = redis.call('HGETALL', KEYS[2])
local parts = {}
for j = 1, #fields, 2 do
  if string.sub(fields[j], 1, #prefix) == prefix then
    parts[#parts + 1] = cjson.encode(fields[j]) .. ':' .. fields[j + 1]
  end
end
redis.call('HSET', KEYS[3], ARGV[3], '{' .. table.concat(parts, ',') .. '}')
local retained = redis.call('HKEYS', KEYS[3])
for j = 1, #retained do
  if tonumber(retained[j]) < tonumber(ARGV[5]) then redis.call('HDEL', KEYS[3], retained[j]) end
end
redis.call('HSET', KEYS[1], 'snapshotBoundary', ARGV[3], 'version', version + 1)
if ARGV[6] and ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[7] .. ' ' .. ARGV[3]) end
return version + 1
