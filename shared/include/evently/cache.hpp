#pragma once
/// A worker's cache of rendered public answers (seat maps, events, search
/// pages), bounded by size in bytes with least-recently-used eviction. Every
/// entry carries the version it was made at; a read names the version that
/// PostgreSQL has now, so a cached answer is never staler than that version.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "evently/request.hpp"

namespace evently {

class LruCache {
 public:
  struct Entry {
    std::string version;
    std::string body;
    std::string gzipped;  ///< made on the first request that accepts gzip
    /// Anything else the entry keeps (e.g. an event's parsed seat layout),
    /// counted as object_bytes in the cache's size.
    std::shared_ptr<const void> object = nullptr;
    size_t object_bytes = 0;
    /// The change board's marks when it was read, and until when it may be
    /// served on them alone (microseconds; 0: never): see board.hpp.
    uint64_t board_mark = 0;
    int64_t board_until = 0;
  };
  using Ptr = std::shared_ptr<Entry>;

  explicit LruCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  /// The entry of `key` made at `version`, now the most recently used; null
  /// when there is none. An entry of another version is dropped.
  Ptr get(const std::string& key, std::string_view version);

  /// The entry of `key` whatever its version, now the most recently used;
  /// null when there is none. For a read that sends the cached version to
  /// PostgreSQL and is answered with the new data only when it moved.
  Ptr peek(const std::string& key);

  /// Keeps `entry` as `key` (replacing any), evicting the least recently
  /// used until the cache fits. An entry larger than the whole budget is
  /// returned but not kept.
  Ptr put(const std::string& key, Entry entry);

  /// The entry's body gzipped, compressed once and then counted in the
  /// cache's size (evicting others if need be).
  const std::string& gzipped(const std::string& key, const Ptr& entry);

  [[nodiscard]] size_t bytes() const { return bytes_; }
  [[nodiscard]] size_t size() const { return index_.size(); }
  [[nodiscard]] uint64_t evictions() const { return evictions_; }

 private:
  struct Slot {
    std::string key;
    Ptr entry;
    size_t bytes;
  };
  static size_t cost(const std::string& key, const Entry& e);
  void erase(std::list<Slot>::iterator it);
  void fit();

  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
  std::list<Slot> order_;  ///< most recently used first
  std::unordered_map<std::string, std::list<Slot>::iterator> index_;
};

/// The answer for a cached entry: 304 when If-None-Match names `etag`, else
/// 200 with the body (gzipped when the client accepts it). Always with ETag,
/// Cache-Control: no-cache (clients revalidate every time) and Vary.
Response cached_response(const Request& req, LruCache& cache, const std::string& key,
                         const LruCache::Ptr& entry, const std::string& etag);

/// Whether `entry` may be answered on the change board's marks alone
/// (board.hpp): it is trusted still, and the marks are `mark_now` as when it
/// was read. Never without a board.
bool on_board(const LruCache::Entry& entry, uint64_t mark_now);

/// Records that `entry` was read from PostgreSQL at the board's `mark` (read
/// before the database was) and holds, with no write, until `expires_micros`
/// (0: no such instant).
void put_on_board(LruCache::Entry& entry, uint64_t mark, int64_t expires_micros);

/// 304 for `etag` (no body).
Response not_modified(const std::string& etag);

}  // namespace evently
