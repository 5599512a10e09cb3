// GET /bookings/{id}: one booking, for its owner or an admin; for anyone
// else it does not exist.
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kBooking{
    "booking_get",
    "SELECT booking_json(b.id)::text FROM bookings b WHERE b.id = $1 AND (b.user_id = $2 OR $3)",
    true};

int main() {
  return serve({.name = "booking_get", .statements = {kBooking}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    const int64_t id = path_id(req, "booking_not_found", "Booking not found");
    const auto rows = db.exec(kBooking.name, id, user.id, user.is_admin());
    if (rows.empty()) throw ApiError(404, "booking_not_found", "Booking not found");
    return Response::json(200, rows[0][0].c_str());
  });
}
