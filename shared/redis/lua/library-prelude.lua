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
