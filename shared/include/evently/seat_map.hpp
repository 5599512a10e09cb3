#pragma once
/// The seat map, rendered in the worker: an event's layout never changes
/// once it is created, so a worker keeps it and asks PostgreSQL only for the
/// seats' current statuses. Rendered maps are kept per event and filter, each
/// checked against the seat-map tag that PostgreSQL has now.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evently/cache.hpp"
#include "evently/db.hpp"
#include "evently/request.hpp"

namespace evently {

/// The statements load_seat_layout() needs.
extern const Statement kSeatLayoutStatement;
extern const Statement kSectionsStatement;

/// An event's sections in map order: all a request for a section the event
/// does not have needs.
struct SeatSections {
  std::string json;                ///< [Section as in Event]
  std::vector<std::string> names;

  /// The index of the section named `name`, if the event has one.
  [[nodiscard]] std::optional<uint32_t> index(const std::string& name) const;
  /// What it takes in memory, about.
  [[nodiscard]] size_t bytes() const;
};

SeatSections load_seat_sections(Db& db, int64_t event_id);

/// An event's seats in map order (section, row, number), each pre-rendered
/// up to its status.
struct SeatLayout {
  SeatSections sections;
  struct Seat {
    uint32_t section;
    std::string prefix;  ///< {"id":..,"section":..,"row":..,"number":..,"price_cents":..,"status":"
  };
  std::vector<Seat> seats;

  /// What the layout takes in memory, about.
  [[nodiscard]] size_t bytes() const;
};

SeatLayout load_seat_layout(Db& db, int64_t event_id);

/// The map's filters: ?section= and ?status= (a valid status, see below).
struct SeatMapFilter {
  std::optional<std::string> section;
  std::optional<std::string> status;
};

/// available, held or booked: the statuses the filter knows.
bool valid_seat_status(const std::string& status);

/// {"event_id","sections","seats"}: statuses[i] is '1' when seats[i] is
/// booked, '2' when held, '0' when available; the filters keep one section
/// and/or one status.
std::string render_seat_map(int64_t event_id, const SeatLayout& layout, std::string_view statuses,
                            const std::optional<std::string>& section,
                            const std::optional<std::string>& status);

/// The map with no seats (a section the event does not have), from the
/// sections alone.
std::string empty_seat_map(int64_t event_id, const SeatSections& sections);

/// The cache key of an event's map under a filter: distinct for every event
/// and filter (no section and an empty one differ).
std::string seat_map_key(int64_t event_id, const SeatMapFilter& filter);

/// The map's ETag at a seat-map tag `version`: W/"<event>-<version>-<filter>",
/// the same in every worker and build, different for every filter.
std::string seat_map_etag(int64_t event_id, std::string_view version, const SeatMapFilter& filter);

/// The instant a seat-map tag (sql/016 seat_map_tag: counters.newest
/// hold.earliest expiry) stops holding with no write: the earliest expiry of
/// an active hold, in microseconds (0: none).
int64_t seat_map_tag_until(std::string_view tag);

/// One worker's rendered maps, loaded layouts and events' sections, each
/// bounded by bytes with least-recently-used eviction (the sections take a
/// sixteenth of the layouts' budget, apart from it: requests for unknown
/// sections of many events never push out a layout); hits, misses,
/// evictions, sizes and renders are counted in the worker's metrics.
class SeatMaps {
 public:
  SeatMaps(size_t map_bytes, size_t layout_bytes);

  /// The event's sections, kept once loaded (or once its layout was).
  std::shared_ptr<const SeatSections> sections(int64_t event_id, const std::function<SeatSections()>& load);
  std::shared_ptr<const SeatSections> sections(Db& db, int64_t event_id);

  /// The event's layout, kept once loaded; `seats` (when not 0) is how many
  /// seats the event has now: a kept layout of another size is loaded again.
  std::shared_ptr<const SeatLayout> layout(int64_t event_id, size_t seats,
                                           const std::function<SeatLayout()>& load);
  std::shared_ptr<const SeatLayout> layout(Db& db, int64_t event_id, size_t seats = 0);

  /// The map of `key` if the change board lets it be answered as it is
  /// (cache.hpp on_board), or null.
  LruCache::Ptr on_board(const std::string& key, uint64_t mark_now);

  /// The seat-map tag last read for `key` if the change board lets it stand
  /// (cache.hpp on_board), or null: a client that has the map already gets
  /// its 304 from it, even from a worker that never rendered that map.
  LruCache::Ptr tag_on_board(const std::string& key, uint64_t mark_now);
  /// Keeps `version` as the tag of `key`, read at the board's `mark`.
  void remember_tag(const std::string& key, const std::string& version, uint64_t mark);

  /// The map of `key` rendered at `version`, or null.
  LruCache::Ptr get(const std::string& key, std::string_view version);

  /// Renders the map over `layout` and keeps it as `key` at `version`.
  LruCache::Ptr render(const std::string& key, std::string version, int64_t event_id,
                       const SeatLayout& layout, std::string_view statuses, const SeatMapFilter& filter);

  /// The answer for `map` (304, or 200 gzipped when accepted) with `etag`.
  /// A map not kept under `key` (e.g. the empty one) is answered all the same.
  Response respond(const Request& req, const std::string& key, const LruCache::Ptr& map,
                   const std::string& etag);

  /// The answer with no seats, made from the layout and not kept.
  Response respond_empty(const Request& req, int64_t event_id, const SeatSections& sections,
                         const std::string& etag);

  [[nodiscard]] const LruCache& maps() const { return maps_; }
  [[nodiscard]] const LruCache& layouts() const { return layouts_; }
  [[nodiscard]] const LruCache& sections_cache() const { return sections_; }

 private:
  void publish();  ///< evictions and sizes into the worker's metrics

  LruCache maps_;
  LruCache tags_;  ///< key -> the tag last read (no body), for 304s on the board
  LruCache layouts_;
  LruCache sections_;
  uint64_t map_evictions_ = 0;
  uint64_t layout_evictions_ = 0;
  uint64_t section_evictions_ = 0;
};

}  // namespace evently
