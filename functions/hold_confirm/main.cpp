// POST /holds/{id}/confirm: the hold becomes a booking of exactly its seats
// (after payment); the only way a held seat is booked. Again: the same
// booking, 200. The caller's session and the confirmation are one call of
// confirm_hold() in sql/: one round trip.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kConfirm{"confirm_hold",
                                "SELECT o_status, o_body FROM confirm_hold($1::bytea, $2::bigint)"};

int main() {
  return serve({.name = "hold_confirm", .statements = {kConfirm}},
               [](const Request& req, Db& db) {
                 int64_t id = 0;
                 const std::string session = session_for(
                     req, db, [&] { id = path_id(req, "hold_not_found", "Hold not found"); });
                 return touch_outcome(booking_outcome(with_session(db.exec(kConfirm.name, session, id))));
               });
}
