// POST /holds/{id}/confirm: the hold becomes a booking of exactly its seats
// (after payment); the only way a held seat is booked. Again: the same
// booking, 200. The caller's session and the confirmation are one call of
// confirm_hold() in sql/: one round trip.
#include "evently/auth.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kConfirm{"confirm_hold",
                                "SELECT o_status, o_body FROM confirm_hold($1::bytea, $2::bigint)"};

int main() {
  return serve({.name = "hold_confirm", .statements = {kConfirm}},
               [](const Request& req, Db& db) {
                 const std::string session = token_digest(require_bearer(req));
                 int64_t id = 0;
                 try {
                   id = path_id(req, "hold_not_found", "Hold not found");
                 } catch (const ApiError&) {
                   authenticate(req, db);  // a bad token is 401 before an unknown hold's 404
                   throw;
                 }
                 const auto rows = db.exec(kConfirm.name, session, id);
                 if (rows[0][0].as<int>() == 401) throw unauthorized("The token is invalid, expired or revoked");
                 return booking_outcome(rows);
               });
}
