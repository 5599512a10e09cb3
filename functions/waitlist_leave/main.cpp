// DELETE /waitlist/{id}: leave the list; an outstanding offer is released
// and its seats go to the next entries.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kLeave{"leave_waitlist",
                              "SELECT o_status, o_body FROM leave_waitlist($1, $2, $3)"};

int main() {
  return serve({.name = "waitlist_leave", .statements = {kLeave}},
               [](const Request& req, Db& db) {
                 const User user = authenticate(req, db);
                 const int64_t id = path_id(req, "waitlist_entry_not_found", "Waitlist entry not found");
                 return touch_outcome(
                     outcome(db.exec(kLeave.name, user.id, user.is_admin(), id), "/waitlist/"));
               });
}
