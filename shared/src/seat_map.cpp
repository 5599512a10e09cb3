#include "evently/seat_map.hpp"

#include <algorithm>
#include <cstdio>

#include "evently/hash.hpp"
#include "evently/json.hpp"
#include "evently/metrics.hpp"

namespace evently {

const Statement kSeatLayoutStatement{
    "seat_layout",
    "SELECT s.section_id, s.id, s.row, s.number, s.price_cents FROM seats s "
    "WHERE s.event_id = $1 ORDER BY s.section_id, s.row, s.number",
    true};
const Statement kSectionsStatement{
    "seat_sections",
    "SELECT id, name, json_build_object('name', name, 'rows', rows, 'seats_per_row', seats_per_row, "
    "'price_cents', price_cents)::text FROM sections WHERE event_id = $1 ORDER BY id",
    true};

namespace {

// The sections' rows as SeatSections, with their ids and quoted names.
SeatSections sections_of(const pqxx::result& rows, std::vector<int64_t>* ids,
                         std::vector<std::string>* quoted) {
  SeatSections sections;
  sections.json.push_back('[');
  for (const auto& row : rows) {
    if (!sections.names.empty()) sections.json += ',';
    if (ids != nullptr) ids->push_back(row[0].as<int64_t>());
    sections.names.push_back(row[1].c_str());
    if (quoted != nullptr) quoted->push_back(quote(row[1].c_str()));
    sections.json += row[2].c_str();
  }
  sections.json += ']';
  return sections;
}

// Heap strings beyond the small-string buffer count their capacity.
size_t text_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

SeatSections load_seat_sections(Db& db, int64_t event_id) {
  return sections_of(db.exec(kSectionsStatement.name, event_id), nullptr, nullptr);
}

SeatLayout load_seat_layout(Db& db, int64_t event_id) {
  SeatLayout layout;
  std::vector<int64_t> section_ids;
  std::vector<std::string> quoted_names;
  layout.sections = sections_of(db.exec(kSectionsStatement.name, event_id), &section_ids, &quoted_names);

  const auto seats = db.exec(kSeatLayoutStatement.name, event_id);
  layout.seats.reserve(seats.size());
  uint32_t section = 0;
  for (const auto& row : seats) {
    while (section < section_ids.size() && section_ids[section] != row[0].as<int64_t>()) ++section;
    if (section == section_ids.size()) break;  // the event changed under us; caller reloads
    layout.seats.push_back(
        {section, std::string("{\"id\":") + row[1].c_str() + ",\"section\":" + quoted_names[section] +
                      ",\"row\":" + row[2].c_str() + ",\"number\":" + row[3].c_str() +
                      ",\"price_cents\":" + row[4].c_str() + ",\"status\":\""});
  }
  return layout;
}

std::optional<uint32_t> SeatSections::index(const std::string& name) const {
  for (uint32_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return std::nullopt;
}

size_t SeatSections::bytes() const {
  size_t n = sizeof(SeatSections) + text_bytes(json) + names.capacity() * sizeof(std::string);
  for (const auto& name : names) n += text_bytes(name);
  return n;
}

size_t SeatLayout::bytes() const {
  size_t n = sizeof(SeatLayout) - sizeof(SeatSections) + sections.bytes() + seats.capacity() * sizeof(Seat);
  for (const auto& seat : seats) n += text_bytes(seat.prefix);
  return n;
}

bool valid_seat_status(const std::string& status) {
  return status == "available" || status == "held" || status == "booked";
}

std::string render_seat_map(int64_t event_id, const SeatLayout& layout, std::string_view statuses,
                            const std::optional<std::string>& section,
                            const std::optional<std::string>& status) {
  std::optional<uint32_t> only_section;
  if (section) {
    only_section = layout.sections.index(*section);
    if (!only_section) return empty_seat_map(event_id, layout.sections);
  }
  // statuses[i]: '0' available, '1' booked, '2' held.
  const char only = !status ? 0 : *status == "booked" ? '1' : *status == "held" ? '2' : '0';

  std::string out = "{\"event_id\":" + std::to_string(event_id) + ",\"sections\":" +
                    layout.sections.json + ",\"seats\":[";
  out.reserve(out.size() + layout.seats.size() * (layout.seats.empty() ? 0 : layout.seats[0].prefix.size() + 12));
  bool first = true;
  for (size_t i = 0; i < layout.seats.size() && i < statuses.size(); ++i) {
    const auto& seat = layout.seats[i];
    const char state = statuses[i];
    if (only_section && seat.section != *only_section) continue;
    if (only != 0 && state != only) continue;
    if (!first) out += ',';
    first = false;
    out += seat.prefix;
    out += state == '1' ? "booked\"}" : state == '2' ? "held\"}" : "available\"}";
  }
  out += "]}";
  return out;
}

std::string empty_seat_map(int64_t event_id, const SeatSections& sections) {
  return "{\"event_id\":" + std::to_string(event_id) + ",\"sections\":" + sections.json + ",\"seats\":[]}";
}

namespace {

// One letter per status filter, then the section (s + name) or none (-).
std::string filter_text(const SeatMapFilter& filter) {
  std::string text(1, !filter.status ? '-' : (*filter.status)[0]);
  text += filter.section ? "s" + *filter.section : "-";
  return text;
}

}  // namespace

std::string seat_map_key(int64_t event_id, const SeatMapFilter& filter) {
  return std::to_string(event_id) + '/' + filter_text(filter);
}

std::string seat_map_etag(int64_t event_id, std::string_view version, const SeatMapFilter& filter) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(filter_text(filter))));
  return "W/\"" + std::to_string(event_id) + "-" + std::string(version) + "-" + hash + "\"";
}

namespace {
// Neither changes once the event is made: one version for all.
const std::string kForever = "forever";
}  // namespace

SeatMaps::SeatMaps(size_t map_bytes, size_t layout_bytes)
    : maps_(map_bytes),
      tags_(std::max<size_t>(map_bytes / 64, 64 * 1024)),
      layouts_(layout_bytes),
      sections_(std::max<size_t>(layout_bytes / 16, 64 * 1024)) {}

std::shared_ptr<const SeatSections> SeatMaps::sections(int64_t event_id,
                                                       const std::function<SeatSections()>& load) {
  const std::string key = std::to_string(event_id);
  auto* metrics = WorkerMetrics::current();
  if (const auto kept = sections_.get(key, kForever)) {
    if (metrics != nullptr) metrics->cache_hit(CacheName::seat_sections);
    return std::static_pointer_cast<const SeatSections>(kept->object);
  }
  if (metrics != nullptr) metrics->cache_miss(CacheName::seat_sections);
  auto loaded = std::make_shared<const SeatSections>(load());
  const size_t bytes = loaded->bytes();
  sections_.put(key, LruCache::Entry{.version = kForever, .body = {}, .gzipped = {}, .object = loaded,
                                     .object_bytes = bytes});
  publish();
  return loaded;
}

std::shared_ptr<const SeatSections> SeatMaps::sections(Db& db, int64_t event_id) {
  return sections(event_id, [&] { return load_seat_sections(db, event_id); });
}

std::shared_ptr<const SeatLayout> SeatMaps::layout(int64_t event_id, size_t seats,
                                                   const std::function<SeatLayout()>& load) {
  const std::string key = std::to_string(event_id);
  auto* metrics = WorkerMetrics::current();
  if (const auto kept = layouts_.get(key, kForever)) {
    auto found = std::static_pointer_cast<const SeatLayout>(kept->object);
    if (seats == 0 || found->seats.size() == seats) {
      if (metrics != nullptr) metrics->cache_hit(CacheName::seat_layout);
      return found;
    }
  }
  if (metrics != nullptr) metrics->cache_miss(CacheName::seat_layout);
  auto loaded = std::make_shared<const SeatLayout>(load());
  layouts_.put(key, LruCache::Entry{.version = kForever, .body = {}, .gzipped = {}, .object = loaded,
                                    .object_bytes = loaded->bytes()});
  // Its sections too, for the requests that need no more.
  auto sections = std::make_shared<const SeatSections>(loaded->sections);
  sections_.put(key, LruCache::Entry{.version = kForever, .body = {}, .gzipped = {}, .object = sections,
                                     .object_bytes = sections->bytes()});
  publish();
  return loaded;
}

std::shared_ptr<const SeatLayout> SeatMaps::layout(Db& db, int64_t event_id, size_t seats) {
  return layout(event_id, seats, [&] { return load_seat_layout(db, event_id); });
}

int64_t seat_map_tag_until(std::string_view tag) {
  const size_t dot = tag.rfind('.');
  if (dot == std::string_view::npos) return 0;
  int64_t until = 0;
  for (const char c : tag.substr(dot + 1)) {
    if (c < '0' || c > '9') return 0;
    until = until * 10 + (c - '0');
  }
  return until;
}

LruCache::Ptr SeatMaps::on_board(const std::string& key, uint64_t mark_now) {
  auto map = maps_.peek(key);
  if (!map || !evently::on_board(*map, mark_now)) return nullptr;
  if (auto* metrics = WorkerMetrics::current()) metrics->cache_hit(CacheName::seat_map);
  return map;
}

LruCache::Ptr SeatMaps::tag_on_board(const std::string& key, uint64_t mark_now) {
  auto tag = tags_.peek(key);
  return tag && evently::on_board(*tag, mark_now) ? tag : nullptr;
}

void SeatMaps::remember_tag(const std::string& key, const std::string& version, uint64_t mark) {
  auto tag = tags_.get(key, version);
  if (!tag) tag = tags_.put(key, LruCache::Entry{.version = version, .body = {}, .gzipped = {}});
  put_on_board(*tag, mark, seat_map_tag_until(version));
}

LruCache::Ptr SeatMaps::get(const std::string& key, std::string_view version) {
  auto map = maps_.get(key, version);
  if (auto* metrics = WorkerMetrics::current()) {
    if (map != nullptr) metrics->cache_hit(CacheName::seat_map); else metrics->cache_miss(CacheName::seat_map);
  }
  return map;
}

LruCache::Ptr SeatMaps::render(const std::string& key, std::string version, int64_t event_id,
                               const SeatLayout& layout, std::string_view statuses,
                               const SeatMapFilter& filter) {
  if (auto* metrics = WorkerMetrics::current()) metrics->seat_map_render();
  auto map = maps_.put(key, LruCache::Entry{.version = std::move(version),
                                            .body = render_seat_map(event_id, layout, statuses,
                                                                    filter.section, filter.status),
                                            .gzipped = {}});
  publish();
  return map;
}

Response SeatMaps::respond(const Request& req, const std::string& key, const LruCache::Ptr& map,
                           const std::string& etag) {
  Response res = cached_response(req, maps_, key, map, etag);
  publish();  // gzipping a kept map grows the cache
  return res;
}

Response SeatMaps::respond_empty(const Request& req, int64_t event_id, const SeatSections& sections,
                                 const std::string& etag) {
  const auto empty = std::make_shared<LruCache::Entry>(
      LruCache::Entry{.version = {}, .body = empty_seat_map(event_id, sections), .gzipped = {}});
  return cached_response(req, maps_, {}, empty, etag);  // no key: gzipped, if asked, but never kept
}

void SeatMaps::publish() {
  if (auto* metrics = WorkerMetrics::current()) {
    metrics->cache_evictions(CacheName::seat_map, maps_.evictions() - map_evictions_);
    metrics->cache_evictions(CacheName::seat_layout, layouts_.evictions() - layout_evictions_);
    metrics->cache_evictions(CacheName::seat_sections, sections_.evictions() - section_evictions_);
    metrics->cache_bytes(CacheName::seat_sections, sections_.bytes());
    metrics->cache_bytes(CacheName::seat_map, maps_.bytes());
    metrics->cache_bytes(CacheName::seat_layout, layouts_.bytes());
  }
  map_evictions_ = maps_.evictions();
  layout_evictions_ = layouts_.evictions();
  section_evictions_ = sections_.evictions();
}

}  // namespace evently
