-- Removes the first entries of the outbox once they have been produced to Kafka.
-- KEYS[1] meta hash   KEYS[2] outbox list
-- ARGV[1] owner epoch   ARGV[2] number of produced entries
-- Returns: entries left; -1 when the epoch is stale (another owner produces them now).
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if tostring(epoch) ~= ARGV[1] then return -1 end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
return redis.call('LLEN', KEYS[2])
