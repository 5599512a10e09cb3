// GET /events: search and filter events, in start order, a page at a time.
// A repeated search reads its page's events by id (the ids are cached while
// the catalog has not changed), with their live counts; weak ETag, 304.
#include "evently/events.hpp"
#include "evently/server.hpp"

using namespace evently;

int main() {
  static EventPages pages(4 << 20, 16 << 20);
  // Every filter shape is its own statement, written for one generic plan:
  // nothing is planned per call.
  return serve({.name = "events_list",
                .statements = event_search_statements(),
                .session_sql = "SET plan_cache_mode = force_generic_plan",
                .stale_reads_ok = true},
               [](const Request& req, Db& db) {
                 Validator v;
                 const EventSearch search = read_event_search(v, req);
                 v.check();
                 return pages.answer(req, db, search);
               });
}
