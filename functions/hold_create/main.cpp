// POST /holds: hold these seats, or the best block of `quantity`, for the
// event's hold_seconds. The whole decision (the caller's session, lock,
// check, choose the block, record the hold, remember the answer for the
// Idempotency-Key) is one call of hold() in sql/: one round trip, one
// transaction. A gated event's Admission-Token is checked here, by its
// signature alone; hold() checks that it admits the session's user.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/holds.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kHold{
    "hold",
    "SELECT o_status, o_body FROM hold($1::bytea, $2::bigint, $3::bigint[], $4::integer, $5::text, "
    "$6::bigint, $7::text, $8::text)"};

int main() {
  return serve(
      {.name = "hold_create", .statements = {kHold}, .json_body = true},
      [](const Request& req, Db& db) {
        HoldRequest hold;
        std::optional<std::string> key;
        const std::string session = session_for(req, db, [&] {
          const Json body = parse_json(req.body);
          Validator v;
          hold = read_hold_request(v, v.object(body.get()));
          key = read_idempotency_key(v, req);
          v.check();
        });

        const auto seats = hold.quantity ? std::optional<std::string>() : pg_array(hold.seat_ids);
        const auto quantity = hold.quantity ? std::to_string(*hold.quantity) : std::optional<std::string>();
        const pqxx::result rows = db.exec(kHold.name, session, hold.event_id, or_null(seats),
                                          or_null(quantity), or_null(hold.section),
                                          admitted_user(req, hold.event_id), or_null(key), hold.fingerprint());
        touch_event(hold.event_id);  // whatever the answer: a refusal may have served the waitlist
        return outcome(with_session(rows), "/holds/");
      });
}
