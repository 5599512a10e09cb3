// POST /bookings: all-or-nothing booking of 1..10 seats. The whole decision
// (lock the seats, check them, record the booking, remember the answer for
// the Idempotency-Key) is one call of book() in sql/: one round trip, one
// transaction. A gated event's Admission-Token is checked here, by its
// signature alone.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/bookings.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kBook{"book",
                             "SELECT o_status, o_body FROM book($1, $2, $3::bigint[], $4, $5, $6)"};

int main() {
  return serve(
      {.name = "booking_create", .statements = {kBook}, .json_body = true},
      [](const Request& req, Db& db) {
        const User user = authenticate(req, db);
        const Json body = parse_json(req.body);
        Validator v;
        const cJSON* in = v.object(body.get());
        const int64_t event_id = v.integer(in, "", "event_id", 1, kMaxJsonInt);
        const std::vector<int64_t> seat_ids = read_seat_ids(v, in);
        const auto key = read_idempotency_key(v, req);
        v.check();

        return booking_outcome(db.exec(kBook.name, user.id, event_id, pg_array(seat_ids),
                                       admitted(req, user.id, event_id), or_null(key),
                                       booking_fingerprint(event_id, seat_ids)));
      });
}
