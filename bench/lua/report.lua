-- Shared by every bench script: numbers the threads, counts response
-- statuses per thread, and prints the totals and latency percentiles.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses = statuses or {}
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses") or {}) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("LATENCY p50=%.2f p99=%.2f\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end

-- Bench users' bearer tokens, one a line.
function read_tokens()
  local tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  return tokens
end

function booking_request(token, event_id, seat_id)
  return wrk.format("POST", "/bookings", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, string.format('{"event_id":%d,"seat_ids":[%d]}', event_id, seat_id))
end
