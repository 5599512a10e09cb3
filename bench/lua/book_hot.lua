-- Hot seats: every connection asks for one of a few seats at random.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

function init(args)
  event_id = tonumber(os.getenv("BENCH_EVENT"))
  first_seat = tonumber(os.getenv("BENCH_FIRST_SEAT"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  tokens = read_tokens()
  math.randomseed(tid * 7919 + 1)
end

function request()
  return booking_request(tokens[math.random(#tokens)], event_id,
                         first_seat + math.random(0, seats - 1))
end
