#pragma once
/// Events: their fields as the admin endpoints accept them, and the public
/// reads (GET /events/{id}, GET /events) with their worker-side caches.

#include <cjson/cJSON.h>

#include <optional>
#include <string>
#include <vector>

#include "evently/cache.hpp"
#include "evently/db.hpp"
#include "evently/paging.hpp"
#include "evently/request.hpp"
#include "evently/validate.hpp"

namespace evently {

/// The editable details of an event; absent fields are nothing.
struct EventDetails {
  std::optional<std::string> name;
  std::optional<std::string> venue;
  std::optional<std::string> description;
  std::optional<std::string> starts_at;  ///< UTC, exact, for PostgreSQL
  std::optional<int64_t> hold_seconds;   ///< how long new holds last, 1..3600
  /// `admission` was given: a gate (the two fields below) or `null` (none).
  bool admission_given = false;
  std::optional<std::string> admission_opens_at;  ///< UTC, exact
  std::optional<int64_t> admission_rate;          ///< rate_per_minute, 1..1000000
};

/// Reads name, venue, description, starts_at, hold_seconds and admission; `required` makes name,
/// venue and starts_at mandatory (creation), else each is optional (PATCH).
EventDetails read_event_details(Validator& v, const cJSON* body, bool required);

/// Validates `sections` for creation and returns them as clean JSON text:
/// [{"name","rows","seats_per_row","price_cents"}], at most 100000 seats.
std::string read_sections(Validator& v, const cJSON* body);

/// GET /events/{id}: the event's JSON and its version (sql/014 event_reads),
/// the JSON only when the version is not the one given.
extern const Statement kEventReadStatement;

/// One event's answer in one round trip: the version that PostgreSQL has now
/// decides between this worker's cached JSON and the new one; 304 when
/// If-None-Match names it. 404 event_not_found when there is no such event.
Response event_answer(const Request& req, Db& db, LruCache& cache, int64_t id);

/// GET /events filters: case-insensitive substring patterns (% and _ taken
/// literally), inclusive UTC bounds, and the page.
struct EventSearch {
  std::optional<std::string> q;
  std::optional<std::string> venue;
  std::optional<std::string> from;
  std::optional<std::string> to;
  Page page;
};

/// Reads q, venue, from, to, limit and cursor into `v`'s errors.
EventSearch read_event_search(Validator& v, const Request& req);

/// The search statements, one per filter shape (which of q, venue, from, to
/// and cursor are given) so that each keeps a generic plan fit for it, and
/// the page read by ids.
std::vector<Statement> event_search_statements();

/// The SQL of one filter shape (exposed for the unit tests).
std::string event_search_sql(bool q, bool venue, bool from, bool to, bool cursor);

/// GET /events pages. A page's event ids are cached against the catalog
/// version (sql/014: moves when events are added, removed, renamed or moved
/// in time), so that a repeated search costs one read of those events by id,
/// with their live counts, in one round trip; the search itself runs only
/// when the catalog has changed. The ETag is a digest of the page's body.
class EventPages {
 public:
  EventPages(size_t id_bytes, size_t page_bytes) : ids_(id_bytes), pages_(page_bytes) {}
  Response answer(const Request& req, Db& db, const EventSearch& search);

 private:
  LruCache ids_;    ///< filters -> the page's ids ({1,2,3}) at a catalog version
  LruCache pages_;  ///< filters -> the rendered page at its ETag (gzip made once)
};

/// The key of a search in the caches: every filter and the page, unambiguous.
std::string event_search_key(const EventSearch& s);

}  // namespace evently
