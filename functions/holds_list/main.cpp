// GET /holds: the caller's active holds (optionally of one event), newest
// first, a page at a time.
#include "evently/auth.hpp"
#include "evently/paging.hpp"
#include "evently/server.hpp"
#include "evently/time.hpp"

using namespace evently;

// Served by holds_active_by_user; "active" is exact to the instant.
static const Statement kList{
    "holds_list",
    "SELECT hold_json(h.id)::text, (extract(epoch FROM h.created_at) * 1000000)::bigint, h.id "
    "FROM holds h WHERE h.user_id = $1 AND h.status = 'active' AND h.expires_at > now() "
    "AND ($2::bigint IS NULL OR h.event_id = $2) "
    "AND ($3::timestamptz IS NULL OR (h.created_at, h.id) < ($3, $4::bigint)) "
    "ORDER BY h.created_at DESC, h.id DESC LIMIT $5",
    true};

int main() {
  return serve({.name = "holds_list", .statements = {kList}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    Validator v;
    const auto event = req.param("event_id");
    const int64_t event_id = event ? v.query_int(event, "event_id", 1, kMaxJsonInt, 0) : 0;
    const Page page = read_page(v, req, 2);
    v.check();
    const auto only_event = event ? std::optional<std::string>(std::to_string(event_id)) : std::nullopt;
    const auto before = page.after ? format_utc((*page.after)[0]) : std::optional<std::string>();
    const auto rows = db.exec(kList.name, user.id, or_null(only_event), or_null(before),
                              page.after ? (*page.after)[1] : 0, page.limit + 1);
    return Response::json(200, page_json("holds", rows, page, 2));
  });
}
