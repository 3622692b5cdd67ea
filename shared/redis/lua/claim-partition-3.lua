-- Claims a partition for a new owner: bumps the owner epoch so that writes from any earlier
-- owner (a zombie that lost the partition in a rebalance) are rejected from now on.
-- KEYS[1] meta hash of the partition
-- KEYS[2] outbox list of the partition
-- KEYS[3] timers sorted set of the partition
-- Returns: { epoch, meta as a flat array (HGETALL), outbox entries (LRANGE 0 -1), timers pending }
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
return {
  epoch,
  redis.call('HGETALL', KEYS[1]),
  redis.call('LRANGE', KEYS[2], 0, -1),
  redis.call('ZCARD', KEYS[3]),
}
