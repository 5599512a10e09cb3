-- Flash sale: every request books one seat nobody else asks for. Thread i of
-- T takes seats first+i, first+i+T, ...; users rotate over the bench tokens.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  event_id = tonumber(os.getenv("BENCH_EVENT"))
  first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  n = 0
end

function request()
  local index = tid + n * nthreads
  if index >= seats then wrk.thread:stop() end
  n = n + 1
  return booking_request(tokens[(index % #tokens) + 1], event_id, first_seat + index)
end
