-- The two-step sale: each connection holds a distinct seat, then confirms
-- that hold, then holds the next. A completed booking is one confirm 201.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  event_id = tonumber(os.getenv("BENCH_EVENT"))
  first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = read_tokens()
  n = 0
  pending = {}
end

function request()
  local confirm = table.remove(pending)
  if confirm then
    return wrk.format("POST", "/holds/" .. confirm.id .. "/confirm",
                      { ["Authorization"] = "Bearer " .. confirm.token })
  end
  local index = tid + n * nthreads
  if index >= seats then wrk.thread:stop() end
  n = n + 1
  return wrk.format("POST", "/holds", { ["Content-Type"] = "application/json",
                                        ["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1] },
                    string.format('{"event_id":%d,"seat_ids":[%d]}', event_id, first_seat + index))
end

local base_response = response
function response(status, headers, body)
  base_response(status, headers, body)
  if status == 201 then
    -- A bench user's token is made from its id (bench/lib.sh).
    local id, user = body:match('^{"id" : (%d+), "event_id" : %d+, "user_id" : (%d+), "status" : "active"')
    if id then table.insert(pending, { id = id, token = "bt" .. string.rep("0", 41 - #user) .. user }) end
  end
end
