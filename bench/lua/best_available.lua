-- Best available: every request asks for BENCH_QUANTITY seats of one of
-- BENCH_EVENTS (comma-separated ids), round-robin; users rotate. Optional:
-- BENCH_ADMISSION_TOKENS (a file, one token a line in the users' order) sends
-- each user's Admission-Token; BENCH_DELAY_MS paces each connection.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  events = {}
  for id in string.gmatch(os.getenv("BENCH_EVENTS"), "%d+") do events[#events + 1] = id end
  quantity = tonumber(os.getenv("BENCH_QUANTITY"))
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  admission = {}
  local f = os.getenv("BENCH_ADMISSION_TOKENS")
  if f and f ~= "" then for line in io.lines(f) do admission[#admission + 1] = line end end
  pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
  n = 0
end

if os.getenv("BENCH_DELAY_MS") then
  function delay() return pause end
end

function request()
  local index = tid + n * nthreads
  n = n + 1
  local user = (index % #tokens) + 1
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[user] }
  if #admission > 0 then headers["Admission-Token"] = admission[user] end
  return wrk.format("POST", "/holds", headers,
                    string.format('{"event_id":%s,"quantity":%d}', events[(index % #events) + 1], quantity))
end
