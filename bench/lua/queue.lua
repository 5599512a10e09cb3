-- The waiting room: METHOD (GET polls, POST joins) /events/{id}/queue for
-- one of BENCH_EVENTS; users rotate, so POSTs join once per user and event
-- while they last.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  events = {}
  for id in string.gmatch(os.getenv("BENCH_EVENTS"), "%d+") do events[#events + 1] = id end
  method = os.getenv("BENCH_METHOD")
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  n = 0
end

function request()
  local index = tid + n * nthreads
  n = n + 1
  local event = events[(math.floor(index / #tokens) % #events) + 1]
  return wrk.format(method, "/events/" .. event .. "/queue",
                    { ["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1] })
end
