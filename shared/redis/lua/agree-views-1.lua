-- Agrees on population views in one round trip: each proposed view is stored unless a view of
-- its boundary is stored already (the first stored wins, whichever process merged it), and what
-- each key holds afterwards is answered, so the proposer can tell whether its view is the one.
-- KEYS one view key per view   ARGV[1] time to live in ms   ARGV[1 + i] the view proposed for KEYS[i]
-- Returns: for each key, false when the proposed view was stored, else the view stored before.
local held = {}
for i = 1, #KEYS do
  held[i] = redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1], 'NX', 'GET')
end
return held
