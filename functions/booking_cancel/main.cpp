// DELETE /bookings/{id}: cancel a booking; its seats are free at once.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kCancel{"cancel_booking",
                               "SELECT o_status, o_body FROM cancel_booking($1, $2, $3)"};

int main() {
  return serve({.name = "booking_cancel", .statements = {kCancel}},
               [](const Request& req, Db& db) {
                 const User user = authenticate(req, db);
                 const int64_t id = path_id(req, "booking_not_found", "Booking not found");
                 return touch_outcome(
                     booking_outcome(db.exec(kCancel.name, user.id, user.is_admin(), id)));
               });
}
