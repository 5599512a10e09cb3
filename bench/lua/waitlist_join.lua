-- Joining a sold-out event's waitlist: users rotate over BENCH_EVENTS (each
-- user joins each event once).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  events = {}
  for id in string.gmatch(os.getenv("BENCH_EVENTS"), "%d+") do events[#events + 1] = id end
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  n = 0
end

function request()
  local index = tid + n * nthreads
  n = n + 1
  local event = events[(math.floor(index / #tokens) % #events) + 1]
  return wrk.format("POST", "/events/" .. event .. "/waitlist",
                    { ["Content-Type"] = "application/json",
                      ["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1] }, '{"quantity":1}')
end
