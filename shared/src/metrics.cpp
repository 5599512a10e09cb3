#include "evently/metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "evently/shared_file.hpp"

namespace evently {
namespace {

constexpr size_t kFileSize = sizeof(MetricsSlot) * kSlotsPerFunction;
static_assert(kCacheNameCount <= kCacheSlots);

WorkerMetrics* g_current = nullptr;

std::string file_of(const std::string& dir, const std::string& function) {
  return dir + "/" + function + ".metrics";
}

flock slot_lock(short type, int i) {
  flock l{};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = static_cast<off_t>(sizeof(MetricsSlot) * static_cast<size_t>(i));
  l.l_len = static_cast<off_t>(sizeof(MetricsSlot));
  return l;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

WorkerMetrics::WorkerMetrics(const std::string& dir, const std::string& function) {
  if (dir.empty() || !valid_name(function)) return;
  try {
    map_ = map_shared_file(file_of(dir, function), kFileSize, 0640, "metrics file", &fd_);
  } catch (const std::runtime_error&) {
    return;  // nothing is counted
  }
  auto* slots = static_cast<MetricsSlot*>(map_);
  for (int i = 0; i < kSlotsPerFunction; ++i) {
    flock l = slot_lock(F_WRLCK, i);
    if (::fcntl(fd_, F_OFD_SETLK, &l) == 0) {
      slot_ = &slots[i];
      slot_->starts.fetch_add(1, std::memory_order_relaxed);
      // A cache's size is this worker's own, not its predecessor's.
      for (auto& c : slot_->caches) c.bytes.store(0, std::memory_order_relaxed);
      g_current = this;
      return;
    }
  }
}

WorkerMetrics::~WorkerMetrics() {
  if (g_current == this) g_current = nullptr;
  if (map_ != nullptr) ::munmap(map_, kFileSize);
  if (fd_ >= 0) ::close(fd_);
}

void WorkerMetrics::request(int status, double seconds) {
  if (slot_ == nullptr) return;
  if (status >= 100 && status < 600) slot_->requests[status].fetch_add(1, std::memory_order_relaxed);
  int b = 0;
  while (b < kBucketCount && seconds > kLatencyBuckets[b]) ++b;
  slot_->buckets[b].fetch_add(1, std::memory_order_relaxed);
  slot_->latency_ns.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9),
                              std::memory_order_relaxed);
}

void WorkerMetrics::db_error() {
  if (slot_ != nullptr) slot_->db_errors.fetch_add(1, std::memory_order_relaxed);
}

void WorkerMetrics::db_reconnect() {
  if (slot_ != nullptr) slot_->db_reconnects.fetch_add(1, std::memory_order_relaxed);
}

WorkerMetrics* WorkerMetrics::current() { return g_current; }

void WorkerMetrics::cache_hit(CacheName cache) {
  if (slot_ != nullptr) slot_->caches[static_cast<int>(cache)].hits.fetch_add(1, std::memory_order_relaxed);
}

void WorkerMetrics::cache_miss(CacheName cache) {
  if (slot_ != nullptr) slot_->caches[static_cast<int>(cache)].misses.fetch_add(1, std::memory_order_relaxed);
}

void WorkerMetrics::cache_evictions(CacheName cache, uint64_t n) {
  if (slot_ != nullptr && n != 0)
    slot_->caches[static_cast<int>(cache)].evictions.fetch_add(n, std::memory_order_relaxed);
}

void WorkerMetrics::cache_bytes(CacheName cache, uint64_t bytes) {
  if (slot_ != nullptr) slot_->caches[static_cast<int>(cache)].bytes.store(bytes, std::memory_order_relaxed);
}

void WorkerMetrics::seat_map_render() {
  if (slot_ != nullptr) slot_->seat_map_renders.fetch_add(1, std::memory_order_relaxed);
}

FunctionMetrics read_function_metrics(const std::string& dir, const std::string& function) {
  FunctionMetrics m;
  m.function = function;
  if (!valid_name(function)) return m;
  const int fd = ::open(file_of(dir, function).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return m;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < kFileSize) {
    ::close(fd);
    return m;
  }
  void* map = ::mmap(nullptr, kFileSize, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    ::close(fd);
    return m;
  }
  const auto* slots = static_cast<const MetricsSlot*>(map);
  uint64_t requests[600] = {};
  for (int i = 0; i < kSlotsPerFunction; ++i) {
    const MetricsSlot& s = slots[i];
    // A slot is live while a worker holds its lock: an open-file-description
    // lock, so that this reader's own open and close never touch a lock this
    // process holds as a worker (the metrics function reads its own file).
    flock l = slot_lock(F_WRLCK, i);
    const bool live = ::fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK;
    if (live) ++m.live_workers;
    m.starts += s.starts.load(std::memory_order_relaxed);
    for (int code = 100; code < 600; ++code) requests[code] += s.requests[code].load(std::memory_order_relaxed);
    for (int b = 0; b <= kBucketCount; ++b) m.buckets[b] += s.buckets[b].load(std::memory_order_relaxed);
    m.latency_ns += s.latency_ns.load(std::memory_order_relaxed);
    m.db_errors += s.db_errors.load(std::memory_order_relaxed);
    m.db_reconnects += s.db_reconnects.load(std::memory_order_relaxed);
    for (int c = 0; c < kCacheSlots; ++c) {
      m.cache_hits[c] += s.caches[c].hits.load(std::memory_order_relaxed);
      m.cache_misses[c] += s.caches[c].misses.load(std::memory_order_relaxed);
      m.cache_evictions[c] += s.caches[c].evictions.load(std::memory_order_relaxed);
      if (live) m.cache_bytes[c] += s.caches[c].bytes.load(std::memory_order_relaxed);
    }
    m.seat_map_renders += s.seat_map_renders.load(std::memory_order_relaxed);
  }
  for (int code = 100; code < 600; ++code)
    if (requests[code] != 0) m.requests.emplace_back(code, requests[code]);
  ::munmap(map, kFileSize);
  ::close(fd);
  return m;
}

std::vector<std::string> metrics_functions(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string file = e->d_name;
    const size_t dot = file.rfind(".metrics");
    if (dot == std::string::npos || dot + 8 != file.size()) continue;
    const std::string name = file.substr(0, dot);
    if (valid_name(name) && names.size() < 256) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

struct Derived {
  const char* metric;
  const char* help;
  const char* function;
  int status;  ///< an exact status, or 2 for any 2xx
};

// What the on-sale counters are made of: the successful answers of the
// functions that change bookings, holds and the waitlist.
constexpr Derived kDerived[] = {
    {"evently_bookings_created_total", "Bookings confirmed.", "booking_create", 201},
    {"evently_bookings_created_total", "", "hold_confirm", 201},
    {"evently_bookings_cancelled_total", "Bookings cancelled.", "booking_cancel", 2},
    {"evently_holds_created_total", "Holds placed.", "hold_create", 201},
    {"evently_holds_released_total", "Holds released.", "hold_release", 2},
    {"evently_waitlist_joined_total", "Waitlist entries made.", "waitlist_join", 201},
    {"evently_waitlist_left_total", "Waitlist entries left.", "waitlist_leave", 2},
};

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

std::string seconds(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

std::string prometheus_text(const std::string& dir) {
  std::vector<FunctionMetrics> all;
  for (const auto& fn : metrics_functions(dir)) all.push_back(read_function_metrics(dir, fn));
  std::ostringstream out;
  header(out, "evently_requests_total", "counter", "Requests answered, by function and HTTP status.");
  for (const auto& m : all)
    for (const auto& [status, n] : m.requests)
      out << "evently_requests_total{function=\"" << m.function << "\",status=\"" << status << "\"} " << n << '\n';
  header(out, "evently_request_duration_seconds", "histogram", "Time from request to response, by function.");
  for (const auto& m : all) {
    uint64_t cumulative = 0;
    for (int b = 0; b <= kBucketCount; ++b) {
      cumulative += m.buckets[b];
      out << "evently_request_duration_seconds_bucket{function=\"" << m.function << "\",le=\"";
      if (b < kBucketCount) out << kLatencyBuckets[b]; else out << "+Inf";
      out << "\"} " << cumulative << '\n';
    }
    out << "evently_request_duration_seconds_sum{function=\"" << m.function << "\"} " << seconds(m.latency_ns) << '\n';
    out << "evently_request_duration_seconds_count{function=\"" << m.function << "\"} " << cumulative << '\n';
  }
  header(out, "evently_workers", "gauge", "Live worker processes, by function.");
  for (const auto& m : all) out << "evently_workers{function=\"" << m.function << "\"} " << m.live_workers << '\n';
  header(out, "evently_worker_starts_total", "counter", "Worker processes started (restarts included), by function.");
  for (const auto& m : all) out << "evently_worker_starts_total{function=\"" << m.function << "\"} " << m.starts << '\n';
  header(out, "evently_db_errors_total", "counter", "Requests the database failed (503), by function.");
  for (const auto& m : all) out << "evently_db_errors_total{function=\"" << m.function << "\"} " << m.db_errors << '\n';
  header(out, "evently_db_reconnects_total", "counter", "Database connections reopened, by function.");
  for (const auto& m : all) out << "evently_db_reconnects_total{function=\"" << m.function << "\"} " << m.db_reconnects << '\n';

  // A function's caches, only those it has used (no series of zeros for
  // every function).
  const auto used = [](const FunctionMetrics& m, int c) {
    return m.cache_hits[c] + m.cache_misses[c] + m.cache_evictions[c] + m.cache_bytes[c] != 0;
  };
  const auto per_cache = [&](const char* name, const char* type, const char* help, auto field) {
    header(out, name, type, help);
    for (const auto& m : all)
      for (int c = 0; c < kCacheNameCount; ++c)
        if (used(m, c))
          out << name << "{function=\"" << m.function << "\",cache=\"" << kCacheNames[c] << "\"} "
              << field(m)[c] << '\n';
  };
  per_cache("evently_cache_hits_total", "counter", "Answers a worker cache held, by function and cache.",
            [](const FunctionMetrics& m) { return m.cache_hits; });
  per_cache("evently_cache_misses_total", "counter",
            "Worker cache lookups that found nothing current, by function and cache.",
            [](const FunctionMetrics& m) { return m.cache_misses; });
  per_cache("evently_cache_evictions_total", "counter",
            "Entries pushed out of a worker cache by its byte budget, by function and cache.",
            [](const FunctionMetrics& m) { return m.cache_evictions; });
  per_cache("evently_cache_bytes", "gauge", "Bytes held by the live workers' caches, by function and cache.",
            [](const FunctionMetrics& m) { return m.cache_bytes; });
  header(out, "evently_seat_map_renders_total", "counter", "Seat maps rendered from the seats' statuses.");
  for (const auto& m : all)
    if (m.function == "event_seats")
      out << "evently_seat_map_renders_total{function=\"" << m.function << "\"} " << m.seat_map_renders << '\n';

  std::string last;
  for (const auto& d : kDerived) {
    if (last != d.metric) {
      header(out, d.metric, "counter", d.help);
      last = d.metric;
    }
    uint64_t n = 0;
    for (const auto& m : all) {
      if (m.function != d.function) continue;
      for (const auto& [status, count] : m.requests)
        if (status == d.status || (d.status == 2 && status / 100 == 2)) n += count;
    }
    out << d.metric << "{function=\"" << d.function << "\"} " << n << '\n';
  }
  return out.str();
}

std::string nginx_status_to_prometheus(const std::string& page) {
  // Active connections: 2
  // server accepts handled requests
  //  10 10 20
  // Reading: 0 Writing: 1 Waiting: 1
  unsigned long long active = 0, accepts = 0, handled = 0, requests = 0, reading = 0, writing = 0,
                     waiting = 0;
  const size_t at = page.find("requests\n");
  if (at == std::string::npos ||
      std::sscanf(page.c_str(), "Active connections: %llu", &active) != 1 ||
      std::sscanf(page.c_str() + at + 9, " %llu %llu %llu Reading: %llu Writing: %llu Waiting: %llu",
                  &accepts, &handled, &requests, &reading, &writing, &waiting) != 6)
    return {};
  std::ostringstream out;
  header(out, "nginx_connections_active", "gauge", "Open client connections.");
  out << "nginx_connections_active " << active << '\n';
  header(out, "nginx_connections_accepted_total", "counter", "Client connections accepted.");
  out << "nginx_connections_accepted_total " << accepts << '\n';
  header(out, "nginx_connections_handled_total", "counter", "Client connections handled.");
  out << "nginx_connections_handled_total " << handled << '\n';
  header(out, "nginx_http_requests_total", "counter", "Client requests.");
  out << "nginx_http_requests_total " << requests << '\n';
  header(out, "nginx_connections", "gauge", "Connections by state.");
  out << "nginx_connections{state=\"reading\"} " << reading << '\n'
      << "nginx_connections{state=\"writing\"} " << writing << '\n'
      << "nginx_connections{state=\"waiting\"} " << waiting << '\n';
  return out.str();
}

std::string nginx_status_text(const std::string& socket_path) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) return {};
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  // nginx answers at once or not at all: never wait long for it.
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string reply;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    const char ask[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::send(fd, ask, sizeof ask - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ask - 1)) {
      char buf[1024];
      for (ssize_t n; reply.size() < 4096 && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t body = reply.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : nginx_status_to_prometheus(reply.substr(body + 4));
}

}  // namespace evently
