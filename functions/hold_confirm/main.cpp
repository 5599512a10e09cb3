// POST /holds/{id}/confirm: the hold becomes a booking of exactly its seats
// (after payment); the only way a held seat is booked. Again: the same
// booking, 200.
#include "evently/auth.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kConfirm{"confirm_hold",
                                "SELECT o_status, o_body FROM confirm_hold($1, $2, $3)"};

int main() {
  return serve({.name = "hold_confirm", .statements = {kConfirm}},
               [](const Request& req, Db& db) {
                 const User user = authenticate(req, db);
                 const int64_t id = path_id(req, "hold_not_found", "Hold not found");
                 return booking_outcome(db.exec(kConfirm.name, user.id, user.is_admin(), id));
               });
}
