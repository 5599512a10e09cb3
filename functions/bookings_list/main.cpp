// GET /bookings: the caller's own bookings, newest first, a page at a time.
#include "evently/auth.hpp"
#include "evently/paging.hpp"
#include "evently/server.hpp"
#include "evently/time.hpp"

using namespace evently;

static const Statement kList{
    "bookings_list",
    "SELECT booking_json(b.id)::text, (extract(epoch FROM b.created_at) * 1000000)::bigint, b.id "
    "FROM bookings b WHERE b.user_id = $1 "
    "AND ($2::timestamptz IS NULL OR (b.created_at, b.id) < ($2, $3::bigint)) "
    "ORDER BY b.created_at DESC, b.id DESC LIMIT $4",
    true};

int main() {
  return serve({.name = "bookings_list", .statements = {kList}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    Validator v;
    const Page page = read_page(v, req, 2);
    v.check();
    const auto before = page.after ? format_utc((*page.after)[0]) : std::optional<std::string>();
    const auto rows = db.exec(kList.name, user.id, or_null(before),
                              page.after ? (*page.after)[1] : 0, page.limit + 1);
    return Response::json(200, page_json("bookings", rows, page, 2));
  });
}
