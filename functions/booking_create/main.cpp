// POST /bookings: all-or-nothing booking of 1..10 seats. The whole decision
// (the caller's session, lock the seats, check them, record the booking,
// remember the answer for the Idempotency-Key) is one call of book() in
// sql/: one round trip, one transaction. A gated event's Admission-Token is
// checked here, by its signature alone; book() checks that it admits the
// session's user.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kBook{
    "book",
    "SELECT o_status, o_body FROM book($1::bytea, $2::bigint, $3::bigint[], $4::bigint, $5::text, $6::text)"};

int main() {
  return serve(
      {.name = "booking_create", .statements = {kBook}, .json_body = true},
      [](const Request& req, Db& db) {
        int64_t event_id = 0;
        std::vector<int64_t> seat_ids;
        std::optional<std::string> key;
        const std::string session = session_for(req, db, [&] {
          const Json body = parse_json(req.body);
          Validator v;
          const cJSON* in = v.object(body.get());
          event_id = v.integer(in, "", "event_id", 1, kMaxJsonInt);
          seat_ids = read_seat_ids(v, in);
          key = read_idempotency_key(v, req);
          v.check();
        });

        const pqxx::result rows =
            db.exec(kBook.name, session, event_id, pg_array(seat_ids), admitted_user(req, event_id),
                    or_null(key), booking_fingerprint(event_id, seat_ids));
        touch_event(event_id);  // whatever the answer: a refusal may have served the waitlist
        return booking_outcome(with_session(rows));
      });
}
