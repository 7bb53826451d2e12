-- Every token of $TOKENS_FILE once, as fast as the server answers: the
-- threads split the file. bench/run.py times the pass by the server's own
-- count of checks and stops wrk; connections past the end of a share
-- repeat its last token meanwhile.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local tokens, first, last, i = {}, 0, 0, 0

function init(args)
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    tokens[#tokens + 1] = line
  end
  local n, id = tonumber(os.getenv("THREADS") or "2"), wrk.thread:get("id")
  first = math.floor(#tokens * id / n) + 1
  last = math.floor(#tokens * (id + 1) / n)
  i = first - 1
end

function request()
  if i < last then i = i + 1 end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
