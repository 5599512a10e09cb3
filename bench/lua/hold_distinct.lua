-- Holds of distinct seats: thread i of T takes seats first+i, first+i+T, ...
-- users rotate over the bench tokens. With BENCH_TOKEN_FILE, each request
-- also sends the user's Admission-Token (one a line, same order as tokens).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  event_id = tonumber(os.getenv("BENCH_EVENT"))
  first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  admission = {}
  local f = os.getenv("BENCH_ADMISSION_TOKENS")
  if f and f ~= "" then for line in io.lines(f) do admission[#admission + 1] = line end end
  n = 0
end

function request()
  local index = tid + n * nthreads
  if index >= seats then wrk.thread:stop() end
  n = n + 1
  local user = (index % #tokens) + 1
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[user] }
  if #admission > 0 then headers["Admission-Token"] = admission[user] end
  return wrk.format("POST", "/holds", headers,
                    string.format('{"event_id":%d,"seat_ids":[%d]}', event_id, first_seat + index))
end
