-- Hot seats: every connection asks for one of a few seats at random.
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
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  math.randomseed(tid * 7919 + 1)
  statuses = {}
end

function request()
  local token = tokens[math.random(#tokens)]
  return wrk.format("POST", "/bookings", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, string.format('{"event_id":%d,"seat_ids":[%d]}', event_id, first_seat + math.random(0, seats - 1)))
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
