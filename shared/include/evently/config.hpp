#pragma once
/// Configuration from the environment, read once per process.

#include <cstddef>
#include <string>

namespace evently {

struct Config {
  std::string database_url;     ///< DATABASE_URL (libpq conninfo or URI)
  /// DATABASE_READ_URL: a standby for reads that may be a moment stale
  /// (empty: DATABASE_URL). Never for anything that decides availability.
  std::string database_read_url;
  long token_ttl_seconds;       ///< EVENTLY_TOKEN_TTL_SECONDS, default 86400
  std::string secret;           ///< EVENTLY_SECRET: signs cursors and tokens (random when unset)
  std::string function_name;    ///< this process's function, for the log
  long statement_timeout_ms;    ///< EVENTLY_STATEMENT_TIMEOUT_MS, default 60000
  long lock_timeout_ms;         ///< EVENTLY_LOCK_TIMEOUT_MS, default 20000
  std::string metrics_dir;      ///< EVENTLY_METRICS_DIR: per-worker counters (none when empty)
  std::string nginx_status_socket;  ///< EVENTLY_NGINX_STATUS_SOCKET: nginx's stub_status
  /// EVENTLY_SEAT_MAP_CACHE_BYTES: each worker's rendered seat maps (64 MiB).
  size_t seat_map_cache_bytes;
  /// EVENTLY_SEAT_LAYOUT_CACHE_BYTES: each worker's event layouts (32 MiB).
  size_t seat_layout_cache_bytes;
};

/// The process-wide configuration.
const Config& config();

/// Sets the function name used in log lines.
void set_function_name(std::string name);

}  // namespace evently
