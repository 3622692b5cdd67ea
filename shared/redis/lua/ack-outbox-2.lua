-- Removes the first entries of the outbox once they have been produced to Kafka.
-- KEYS[1] meta hash   KEYS[2] outbox list
-- ARGV[1] owner epoch   ARGV[2] number of produced entries
-- Returns: entries left; -1 when a newer owner holds the partition (it produces them now); -4
-- when Redis holds an older epoch or none (it lost our writes).
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if held > tonumber(ARGV[1]) then return -1 end
if held < tonumber(ARGV[1]) then return -4 end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
return redis.call('LLEN', KEYS[2])
