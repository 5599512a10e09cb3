#include "evently/events.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <set>

#include "evently/board.hpp"
#include "evently/cursor.hpp"
#include "evently/json.hpp"
#include "evently/time.hpp"

namespace evently {
namespace {

constexpr int64_t kMaxSeats = 100000;
constexpr size_t kMaxSections = 50;

// A search for a term first walks this many events in start order: a term
// found in that many enough times fills its page from the start-time index;
// a rarer one is looked up in the trigram indexes instead.
constexpr int kWalk = 256;

// The page of the events whose ids were found, with their live counts (and
// until when those hold), and the catalog version it was read at (one row
// with NULLs when none). Follows a WITH that defines found(id).
#define EVENTLY_PAGE_OF_FOUND                                                                \
  ", page AS (SELECT r.doc, r.starts_us, r.id, r.starts_at, r.until_us FROM found f "       \
  "JOIN event_reads r ON r.id = f.id) "                                                     \
  "SELECT c.version, p.doc, p.starts_us, p.id, p.until_us FROM event_catalog c "            \
  "LEFT JOIN page p ON true ORDER BY p.starts_at, p.id"
constexpr const char* kPageOfIds = EVENTLY_PAGE_OF_FOUND;

// A case-insensitive substring pattern that takes % and _ literally.
std::optional<std::string> contains_pattern(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  std::string out = "%";
  for (const char c : *text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + '%';
}

int shape_of(const EventSearch& s) {
  return (s.q ? 1 : 0) | (s.venue ? 2 : 0) | (s.from ? 4 : 0) | (s.to ? 8 : 0) | (s.page.after ? 16 : 0);
}

const char* kShapeNames[32] = {
    "events_search_0",  "events_search_1",  "events_search_2",  "events_search_3",  "events_search_4",
    "events_search_5",  "events_search_6",  "events_search_7",  "events_search_8",  "events_search_9",
    "events_search_10", "events_search_11", "events_search_12", "events_search_13", "events_search_14",
    "events_search_15", "events_search_16", "events_search_17", "events_search_18", "events_search_19",
    "events_search_20", "events_search_21", "events_search_22", "events_search_23", "events_search_24",
    "events_search_25", "events_search_26", "events_search_27", "events_search_28", "events_search_29",
    "events_search_30", "events_search_31"};

const Statement kPageByIds{
    "events_by_ids",
    "WITH found AS (SELECT unnest($2::bigint[]) AS id WHERE (SELECT version FROM event_catalog) = $1)"
    EVENTLY_PAGE_OF_FOUND,
    true};

// The parameters of a search, in the order its shape's SQL numbers them.
std::vector<std::string> search_params(const EventSearch& s) {
  std::vector<std::string> p;
  if (s.q) p.push_back(*s.q);
  if (s.venue) p.push_back(*s.venue);
  if (s.from) p.push_back(*s.from);
  if (s.to) p.push_back(*s.to);
  if (s.page.after) {
    p.push_back(format_utc((*s.page.after)[0]));
    p.push_back(std::to_string((*s.page.after)[1]));
  }
  p.push_back(std::to_string(s.page.limit + 1));
  return p;
}

// {"events":[...],"next_cursor":...} from rows (version, doc, starts_us, id,
// until_us) fetched with LIMIT limit + 1; `ids` gets their ids as a bigint[]
// literal, `until` the earliest instant their counts change with no write.
std::string render_page(const pqxx::result& rows, int64_t limit, std::string& ids, int64_t& until) {
  std::vector<pqxx::result::size_type> found;
  for (pqxx::result::size_type i = 0; i < rows.size(); ++i)
    if (!rows[i][1].is_null()) found.push_back(i);
  const size_t shown = std::min(found.size(), static_cast<size_t>(limit));
  std::string out = "{\"events\":[";
  ids = "{";
  until = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    const auto& row = rows[found[i]];
    if (i > 0) ids += ',';
    ids += row[3].c_str();
    if (i >= shown) continue;
    if (!row[4].is_null() && (until == 0 || row[4].as<int64_t>() < until)) until = row[4].as<int64_t>();
    if (i > 0) out += ',';
    out += row[1].c_str();
  }
  ids += '}';
  out += "],\"next_cursor\":";
  if (found.size() > shown) {
    const auto& last = rows[found[shown - 1]];
    out += '"' + encode_cursor({last[2].as<int64_t>(), last[3].as<int64_t>()}) + '"';
  } else {
    out += "null";
  }
  return out + '}';
}

// The board's mark of a page: the catalog's and each of its events' ({1,2,3}).
uint64_t page_mark(const Board& board, const std::string& ids) {
  uint64_t mark = board.mark(Board::Kind::catalog, 0);
  for (const char* at = ids.c_str(); *at != '\0' && *at != '}'; ++at) {
    char* end = nullptr;
    const long long id = std::strtoll(at + 1, &end, 10);
    if (end == at + 1) break;
    mark += board.mark(Board::Kind::event, id);
    at = end - 1;
  }
  return mark;
}

std::string digest_tag(const std::string& body) {
  std::array<unsigned char, 12> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[2 * 12 + 1];
  sodium_bin2hex(hex, sizeof hex, hash.data(), hash.size());
  return std::string("W/\"p") + hex + '"';
}

void add_length_prefixed(std::string& key, const std::optional<std::string>& part) {
  if (!part) {
    key += "-;";
    return;
  }
  key += std::to_string(part->size()) + ':' + *part + ';';
}

}  // namespace

const Statement kEventReadStatement{
    "event_read",
    "SELECT r.version, CASE WHEN r.version IS DISTINCT FROM $2 THEN r.doc END, r.until_us "
    "FROM event_reads r WHERE r.id = $1",
    true};

Response event_answer(const Request& req, Db& db, LruCache& cache, int64_t id) {
  const std::string key = std::to_string(id);
  const auto etag = [&key](const std::string& version) { return "W/\"e" + key + "-" + version + '"'; };
  LruCache::Ptr entry = cache.peek(key);
  const Board* board = Board::get();
  const uint64_t mark = board != nullptr ? board->mark(Board::Kind::event, id) : 0;
  if (entry && on_board(*entry, mark)) return cached_response(req, cache, key, entry, etag(entry->version));

  const auto rows = db.exec(kEventReadStatement.name, id, entry ? entry->version.c_str() : nullptr);
  if (rows.empty()) throw ApiError(404, "event_not_found", "Event not found");
  const std::string version = rows[0][0].c_str();
  if (!entry || entry->version != version)
    entry = cache.put(key, LruCache::Entry{.version = version, .body = rows[0][1].c_str(), .gzipped = {}});
  put_on_board(*entry, mark, rows[0][2].is_null() ? 0 : rows[0][2].as<int64_t>());
  return cached_response(req, cache, key, entry, etag(version));
}

EventSearch read_event_search(Validator& v, const Request& req) {
  EventSearch s;
  s.q = contains_pattern(req.param("q"));
  s.venue = contains_pattern(req.param("venue"));
  s.from = format_utc(v.query_time(req.param("from"), "from", false));
  s.to = format_utc(v.query_time(req.param("to"), "to", true));
  s.page = read_page(v, req, 2);
  return s;
}

std::string event_search_sql(bool q, bool venue, bool from, bool to, bool cursor) {
  int n = 0;
  const auto param = [&n] {
    std::string p(1, '$');
    return p.append(std::to_string(++n));
  };
  std::string term;  // the text filters
  if (q) {
    const std::string p = param();
    term = "(e.name ILIKE " + p + " OR e.venue ILIKE " + p + ")";
  }
  if (venue) term += (term.empty() ? "" : " AND ") + std::string("e.venue ILIKE ") + param();
  std::string range;  // the start-time bounds
  const auto add_range = [&range](const std::string& cond) { range += (range.empty() ? "" : " AND ") + cond; };
  if (from) add_range("e.starts_at >= " + param() + "::timestamptz");
  if (to) add_range("e.starts_at <= " + param() + "::timestamptz");
  if (cursor) {
    const std::string at = param();
    add_range("(e.starts_at, e.id) > (" + at + "::timestamptz, " + param() + "::bigint)");
  }
  const std::string limit = param() + "::integer";
  const std::string where_range = range.empty() ? "" : " WHERE " + range;
  const std::string order = " ORDER BY e.starts_at, e.id";

  if (term.empty())
    return "WITH found AS (SELECT e.id FROM events e" + where_range + order + " LIMIT " + limit + ")" +
           kPageOfIds;
  // A term: the walk in start order decides. When it met the term often
  // enough to fill the page (or walked every event in range), its hits are
  // the page; otherwise the trigram indexes find every match, sorted after.
  // Only the branch taken runs (its gate is a one-time filter).
  const std::string walk = std::to_string(kWalk);
  return "WITH walk AS MATERIALIZED (SELECT e.id, e.starts_at, " + term + " AS hit FROM events e" +
         where_range + order + " LIMIT " + walk + "), "
         "walked AS MATERIALIZED (SELECT w.id, w.starts_at FROM walk w WHERE w.hit "
         "ORDER BY w.starts_at, w.id LIMIT " + limit + "), "
         "decided AS MATERIALIZED (SELECT (SELECT count(*) FROM walked) >= " + limit +
         " OR (SELECT count(*) FROM walk) < " + walk + " AS by_walk), "
         "matched AS MATERIALIZED (SELECT e.id, e.starts_at FROM events e WHERE " + term +
         (range.empty() ? "" : " AND " + range) + "), "
         "found AS (SELECT w.id FROM walked w WHERE (SELECT by_walk FROM decided) "
         "UNION ALL (SELECT m.id FROM matched m WHERE NOT (SELECT by_walk FROM decided) "
         "ORDER BY m.starts_at, m.id LIMIT " + limit + "))" + kPageOfIds;
}

std::vector<Statement> event_search_statements() {
  // The SQL lives as long as the process (Statement holds pointers).
  static const std::vector<std::string> sql = [] {
    std::vector<std::string> all;
    for (int shape = 0; shape < 32; ++shape)
      all.push_back(event_search_sql(shape & 1, shape & 2, shape & 4, shape & 8, shape & 16));
    return all;
  }();
  std::vector<Statement> out;
  for (int shape = 0; shape < 32; ++shape) out.push_back(Statement{kShapeNames[shape], sql[shape].c_str(), true});
  out.push_back(kPageByIds);
  return out;
}

std::string event_search_key(const EventSearch& s) {
  std::string key = std::to_string(s.page.limit) + ';';
  add_length_prefixed(key, s.q);
  add_length_prefixed(key, s.venue);
  add_length_prefixed(key, s.from);
  add_length_prefixed(key, s.to);
  if (s.page.after) key += std::to_string((*s.page.after)[0]) + ',' + std::to_string((*s.page.after)[1]);
  return key;
}

Response EventPages::answer(const Request& req, Db& db, const EventSearch& search) {
  const std::string key = event_search_key(search);
  const LruCache::Ptr cached = ids_.peek(key);
  const Board* board = Board::get();
  const uint64_t mark = board != nullptr && cached ? page_mark(*board, cached->body) : 0;
  if (cached) {
    if (const LruCache::Ptr page = pages_.peek(key); page && on_board(*page, mark))
      return cached_response(req, pages_, key, page, page->version);
  }

  pqxx::result rows;
  bool fresh = false;  // rows came from the ids still valid at the catalog version
  if (cached) {
    rows = db.exec(kPageByIds.name, cached->version, cached->body);
    fresh = !rows.empty() && cached->version == rows[0][0].c_str();
  }
  if (!fresh) {
    rows = db.exec(kShapeNames[shape_of(search)], pqxx::prepare::make_dynamic_params(search_params(search)));
  }
  std::string ids;
  int64_t until = 0;
  std::string body = render_page(rows, search.page.limit, ids, until);
  if (!fresh) ids_.put(key, LruCache::Entry{.version = rows[0][0].c_str(), .body = ids, .gzipped = {}});
  const std::string tag = digest_tag(body);
  LruCache::Ptr page = pages_.get(key, tag);
  if (!page) page = pages_.put(key, LruCache::Entry{.version = tag, .body = std::move(body), .gzipped = {}});
  // On the board only when the mark read first covered these very events.
  if (fresh) put_on_board(*page, mark, until); else page->board_until = 0;
  return cached_response(req, pages_, key, page, tag);
}

EventDetails read_event_details(Validator& v, const cJSON* body, bool required) {
  EventDetails d;
  if (required) {
    d.name = v.string(body, "", "name", 1, 200);
    d.venue = v.string(body, "", "venue", 1, 200);
    d.starts_at = format_utc(v.time(body, "", "starts_at"));
  } else {
    d.name = v.optional_string(body, "", "name", 1, 200);
    d.venue = v.optional_string(body, "", "venue", 1, 200);
    if (const auto t = v.optional_time(body, "", "starts_at")) d.starts_at = format_utc(*t);
  }
  if (cJSON_GetObjectItemCaseSensitive(body, "hold_seconds") != nullptr)
    d.hold_seconds = v.integer(body, "", "hold_seconds", 1, 3600);
  if (const cJSON* gate = cJSON_GetObjectItemCaseSensitive(body, "admission")) {
    d.admission_given = true;
    if (cJSON_IsObject(gate)) {
      d.admission_opens_at = format_utc(v.time(gate, "admission", "opens_at"));
      d.admission_rate = v.integer(gate, "admission", "rate_per_minute", 1, 1000000);
    } else if (!cJSON_IsNull(gate)) {
      v.add("admission", "must be null or an object {opens_at, rate_per_minute}");
    }
  }
  // `null` clears the description.
  d.description = v.optional_string(body, "", "description", 0, 5000, true);
  return d;
}

std::string read_sections(Validator& v, const cJSON* body) {
  const cJSON* list = v.array(body, "", "sections", 1, kMaxSections);
  if (list == nullptr) return {};
  Json clean = json_array();
  std::set<std::string> names;
  int64_t seats = 0;
  int i = 0;
  for (const cJSON* item = list->child; item != nullptr; item = item->next, ++i) {
    const std::string path = "sections[" + std::to_string(i) + "]";
    if (!cJSON_IsObject(item)) {
      v.add(path, "must be an object");
      continue;
    }
    const std::string name = v.string(item, path, "name", 1, 200);
    const int64_t rows = v.integer(item, path, "rows", 1, 500);
    const int64_t per_row = v.integer(item, path, "seats_per_row", 1, 500);
    const int64_t price = v.integer(item, path, "price_cents", 0, 100000000);
    if (!name.empty() && !names.insert(name).second)
      v.add(field_path(path, "name"), "must be distinct from the other sections' names");
    seats += rows * per_row;
    cJSON* out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "name", name.c_str());
    cJSON_AddNumberToObject(out, "rows", static_cast<double>(rows));
    cJSON_AddNumberToObject(out, "seats_per_row", static_cast<double>(per_row));
    cJSON_AddNumberToObject(out, "price_cents", static_cast<double>(price));
    cJSON_AddItemToArray(clean.get(), out);
  }
  if (seats > kMaxSeats) v.add("sections", "must hold at most 100000 seats in all");
  return to_string(clean.get());
}

}  // namespace evently
