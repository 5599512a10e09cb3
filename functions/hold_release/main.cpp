// DELETE /holds/{id}: release a hold; its seats are available at once.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kRelease{"release_hold",
                                "SELECT o_status, o_body FROM release_hold($1, $2, $3)"};

int main() {
  return serve({.name = "hold_release", .statements = {kRelease}},
               [](const Request& req, Db& db) {
                 const User user = authenticate(req, db);
                 const int64_t id = path_id(req, "hold_not_found", "Hold not found");
                 return touch_outcome(
                     outcome(db.exec(kRelease.name, user.id, user.is_admin(), id), "/holds/"));
               });
}
