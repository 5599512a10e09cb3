// GET /events: search and filter events, in start order, a page at a time.
#include "evently/paging.hpp"
#include "evently/server.hpp"
#include "evently/time.hpp"

using namespace evently;

// Filters left NULL drop out: this function's connection plans every call
// for its actual parameters, so the trigram and start-time indexes serve
// whichever filters are present.
static const Statement kSearch{
    "events_search",
    "SELECT event_json(e)::text, (extract(epoch FROM e.starts_at) * 1000000)::bigint, e.id "
    "FROM events e "
    "WHERE ($1::text IS NULL OR e.name ILIKE $1 OR e.venue ILIKE $1) "
    "AND ($2::text IS NULL OR e.venue ILIKE $2) "
    "AND ($3::timestamptz IS NULL OR e.starts_at >= $3) "
    "AND ($4::timestamptz IS NULL OR e.starts_at <= $4) "
    "AND ($5::timestamptz IS NULL OR (e.starts_at, e.id) > ($5, $6::bigint)) "
    "ORDER BY e.starts_at, e.id LIMIT $7",
    true};

// A case-insensitive substring pattern that takes % and _ literally.
static std::optional<std::string> contains_pattern(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  std::string out = "%";
  for (const char c : *text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + '%';
}

int main() {
  return serve(
      {.name = "events_list",
       .statements = {kSearch},
       .session_sql = "SET plan_cache_mode = force_custom_plan",
       .stale_reads_ok = true},
      [](const Request& req, Db& db) {
        Validator v;
        const auto q = contains_pattern(req.param("q"));
        const auto venue = contains_pattern(req.param("venue"));
        const auto from = v.query_time(req.param("from"), "from", false);
        const auto to = v.query_time(req.param("to"), "to", true);
        const Page page = read_page(v, req, 2);
        v.check();

        const auto after = page.after ? format_utc((*page.after)[0]) : std::optional<std::string>();
        const int64_t after_id = page.after ? (*page.after)[1] : 0;
        const auto rows = db.exec(kSearch.name, or_null(q), or_null(venue), or_null(format_utc(from)),
                                  or_null(format_utc(to)), or_null(after), after_id, page.limit + 1);
        return Response::json(200, page_json("events", rows, page, 2));
      });
}
