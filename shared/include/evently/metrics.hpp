#pragma once
/// Per-worker counters for GET /metrics, cheap on the hot path: each worker
/// owns one slot of a small memory-mapped file per function (claimed with a
/// record lock that dies with the worker), adds to it with relaxed atomics,
/// and the metrics function sums every slot. A replacement worker takes over
/// a free slot, so counters only grow; the number of slots is fixed.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace evently {

/// Upper bounds (seconds) of the latency histogram's buckets, +Inf apart.
inline constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,   0.25,   0.5,   1,    2.5,   5, 10};
inline constexpr int kBucketCount = sizeof kLatencyBuckets / sizeof kLatencyBuckets[0];
/// Slots per function: more workers than this go uncounted.
inline constexpr int kSlotsPerFunction = 64;

/// The worker caches whose use is counted: each is the `cache` label of
/// evently_cache_*; a new cache takes a free index below kCacheSlots.
/// `board`: cached answers looked at on the change board (board.hpp): a hit
/// was given with no round trip, a miss was checked with PostgreSQL.
enum class CacheName : int { seat_map = 0, seat_layout = 1, seat_sections = 2, board = 3 };
inline constexpr const char* kCacheNames[] = {"seat_map", "seat_layout", "seat_sections", "board"};
inline constexpr int kCacheNameCount = sizeof kCacheNames / sizeof kCacheNames[0];
inline constexpr int kCacheSlots = 8;

/// One cache's counters in one worker.
struct CacheCounters {
  std::atomic<uint64_t> hits;       ///< answered from the cache
  std::atomic<uint64_t> misses;     ///< looked up and not there (or of an older version)
  std::atomic<uint64_t> evictions;  ///< entries pushed out to stay within the budget
  std::atomic<uint64_t> bytes;      ///< the cache's size now (a gauge)
};

/// One worker's counters, as laid out in the file.
struct MetricsSlot {
  std::atomic<uint64_t> starts;         ///< workers that have owned this slot
  std::atomic<uint64_t> requests[600];  ///< by HTTP status (100..599)
  std::atomic<uint64_t> buckets[kBucketCount + 1];  ///< latency, not cumulative; last is +Inf
  std::atomic<uint64_t> latency_ns;     ///< sum of latencies
  std::atomic<uint64_t> db_errors;      ///< requests failed by the database
  std::atomic<uint64_t> db_reconnects;  ///< connections opened after a worker's first
  CacheCounters caches[kCacheSlots];    ///< by CacheName
  std::atomic<uint64_t> seat_map_renders;  ///< seat maps rendered from the seats' statuses
};

/// This worker's slot (or none: counting is then skipped).
class WorkerMetrics {
 public:
  /// Claims a slot in `<dir>/<function>.metrics`; an empty dir counts nothing.
  WorkerMetrics(const std::string& dir, const std::string& function);
  ~WorkerMetrics();
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  void request(int status, double seconds);
  void db_error();
  void db_reconnect();
  void cache_hit(CacheName cache);
  void cache_miss(CacheName cache);
  void cache_evictions(CacheName cache, uint64_t n);
  void cache_bytes(CacheName cache, uint64_t bytes);
  void seat_map_render();

  /// This process's worker counters (the last made that claimed a slot), for
  /// the code a handler calls; null when there are none.
  static WorkerMetrics* current();

 private:
  int fd_ = -1;
  void* map_ = nullptr;
  MetricsSlot* slot_ = nullptr;
};

/// The sum of a function's slots, and how many are owned by a live worker.
struct FunctionMetrics {
  std::string function;
  int live_workers = 0;
  uint64_t starts = 0;
  std::vector<std::pair<int, uint64_t>> requests;  ///< status, count (non-zero only)
  uint64_t buckets[kBucketCount + 1] = {};
  uint64_t latency_ns = 0;
  uint64_t db_errors = 0;
  uint64_t db_reconnects = 0;
  /// By CacheName; bytes summed over live workers only.
  uint64_t cache_hits[kCacheSlots] = {}, cache_misses[kCacheSlots] = {}, cache_evictions[kCacheSlots] = {},
           cache_bytes[kCacheSlots] = {};
  uint64_t seat_map_renders = 0;
};

/// Reads `<dir>/<function>.metrics` (all zero when absent).
FunctionMetrics read_function_metrics(const std::string& dir, const std::string& function);

/// Every function with a metrics file in `dir`, by name.
std::vector<std::string> metrics_functions(const std::string& dir);

/// The Prometheus text exposition (format 0.0.4) of every function's
/// counters in `dir`: requests by status, latency histogram, live workers
/// and starts, database errors and reconnects, worker caches' hits, misses,
/// evictions and sizes, seat maps rendered, and the booking, hold and
/// waitlist counters derived from them.
std::string prometheus_text(const std::string& dir);

/// nginx's stub_status figures, read from its unix socket, as Prometheus
/// text; empty when nginx cannot be asked.
std::string nginx_status_text(const std::string& socket_path);

/// Parses a stub_status page into Prometheus text (empty when malformed).
std::string nginx_status_to_prometheus(const std::string& page);

}  // namespace evently
