-- Claims a partition for a new owner: raises the owner epoch so that writes from any earlier
-- owner (a zombie that lost the partition in a rebalance) are rejected from now on. The new epoch
-- is above both the stored one and the highest this claimant has seen, so epochs keep rising
-- even after Redis lost the partition's writes (then the stored epoch is older, or gone).
-- A partition an earlier release kept (index and timers as sorted sets) is moved into buckets
-- here, once (library-prelude.lua).
-- KEYS[1] meta hash of the partition
-- KEYS[2] outbox list of the partition
-- KEYS[3] population index (the sorted set of earlier releases; the base of its buckets)
-- KEYS[4] timers (the sorted set of earlier releases; the base of its buckets)
-- KEYS[5] timer buckets by their earliest due time (sorted set)
-- ARGV[1] highest epoch the claimant has seen for the partition (0 if none)
-- Returns: { epoch, meta as a flat array (HGETALL), outbox entries (LRANGE 0 -1), timers pending }
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local epoch = math.max(held, tonumber(ARGV[1] or '0')) + 1
redis.call('HSET', KEYS[1], 'epoch', epoch)
local layout = openBuckets(KEYS[1], KEYS[3], KEYS[4], KEYS[5])
if migrateSortedSets(layout) then closeBuckets(layout) end
return {
  epoch,
  redis.call('HGETALL', KEYS[1]),
  redis.call('LRANGE', KEYS[2], 0, -1),
  layout.timersPending,
}
