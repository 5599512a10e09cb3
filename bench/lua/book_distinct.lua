-- Flash sale: every request books one seat nobody else asks for. Thread i of
-- T takes seats first+i, first+i+T, ...; users rotate over the bench tokens.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  event_id = tonumber(os.getenv("BENCH_EVENT"))
  first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  n = 0
  statuses = {}
end

function request()
  local index = tid + n * nthreads
  if index >= seats then wrk.thread:stop() end
  n = n + 1
  local token = tokens[(index % #tokens) + 1]
  return wrk.format("POST", "/bookings", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, string.format('{"event_id":%d,"seat_ids":[%d]}', event_id, first_seat + index))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("LATENCY p50=%.2f p99=%.2f\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
