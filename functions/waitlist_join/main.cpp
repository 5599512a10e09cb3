// POST /events/{id}/waitlist: join a sold-out event's waiting list for
// `quantity` seats (in `section`, or anywhere). Entries are served in join
// order as seats free up; one that can be met at once is answered offered.
#include "evently/auth.hpp"
#include "evently/bookings.hpp"
#include "evently/holds.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kJoin{"join_waitlist",
                             "SELECT o_status, o_body FROM join_waitlist($1, $2, $3, $4)"};

int main() {
  return serve(
      {.name = "waitlist_join", .statements = {kJoin}, .json_body = true},
      [](const Request& req, Db& db) {
        const User user = authenticate(req, db);
        const Json body = parse_json(req.body);
        Validator v;
        const cJSON* in = v.object(body.get());
        const int64_t quantity = v.integer(in, "", "quantity", 1, kMaxHeldSeats);
        auto section = v.optional_string(in, "", "section", 1, 200, true);
        if (section && section->empty()) section.reset();  // null: any section
        v.check();
        const int64_t event = path_id(req, "event_not_found", "Event not found");
        return outcome(db.exec(kJoin.name, user.id, event, quantity, or_null(section)), "/waitlist/");
      });
}
