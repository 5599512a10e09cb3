// POST /events/{id}/waitlist: join a sold-out event's waiting list for
// `quantity` seats (in `section`, or anywhere). Entries are served in join
// order as seats free up; one that can be met at once is answered offered.
// The caller's session and the join are one call of join_waitlist() in sql/.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/bookings.hpp"
#include "evently/holds.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kJoin{
    "join_waitlist",
    "SELECT o_status, o_body FROM join_waitlist($1::bytea, $2::bigint, $3::integer, $4::text)"};

int main() {
  return serve(
      {.name = "waitlist_join", .statements = {kJoin}, .json_body = true},
      [](const Request& req, Db& db) {
        int64_t quantity = 0;
        std::optional<std::string> section;
        int64_t event = 0;
        const std::string session = session_for(req, db, [&] {
          const Json body = parse_json(req.body);
          Validator v;
          const cJSON* in = v.object(body.get());
          quantity = v.integer(in, "", "quantity", 1, kMaxHeldSeats);
          section = v.optional_string(in, "", "section", 1, 200, true);
          if (section && section->empty()) section.reset();  // null: any section
          v.check();
          event = path_id(req, "event_not_found", "Event not found");
        });
        const pqxx::result rows = db.exec(kJoin.name, session, event, quantity, or_null(section));
        touch_event(event);  // a join serves the waitlist first
        return outcome(with_session(rows), "/waitlist/");
      });
}
