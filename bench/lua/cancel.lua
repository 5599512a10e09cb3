-- Cancellations: each request cancels the next booking of BENCH_BOOKINGS
-- (lines "booking_id token"), split over the threads.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  bookings = {}
  for line in io.lines(os.getenv("BENCH_BOOKINGS")) do
    local id, token = line:match("^(%d+) (%S+)$")
    bookings[#bookings + 1] = { id = id, token = token }
  end
  n = 0
end

function request()
  local index = tid + n * nthreads + 1
  if index > #bookings then wrk.thread:stop() end
  n = n + 1
  local b = bookings[math.min(index, #bookings)]
  return wrk.format("DELETE", "/bookings/" .. b.id, { ["Authorization"] = "Bearer " .. b.token })
end
