#include "evently/config.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

namespace evently {
namespace {

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

long positive(const std::string& text, long fallback) {
  const long v = std::strtol(text.c_str(), nullptr, 10);
  return v > 0 ? std::min(v, 2147483647L) : fallback;
}

// A size in bytes: a positive integer, else the fallback.
size_t bytes(const std::string& text, size_t fallback) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  return !text.empty() && text[0] != '-' && *end == '\0' && v > 0 ? static_cast<size_t>(v) : fallback;
}

Config load() {
  Config c;
  c.database_url = env("DATABASE_URL", "");
  c.database_read_url = env("DATABASE_READ_URL", "");
  c.token_ttl_seconds = std::strtol(env("EVENTLY_TOKEN_TTL_SECONDS", "86400").c_str(), nullptr, 10);
  if (c.token_ttl_seconds <= 0) c.token_ttl_seconds = 86400;
  c.secret = env("EVENTLY_SECRET", "");
  if (c.secret.empty()) {
    // No published default: without a configured secret, a key of this
    // process alone (deploy/evently always configures one).
    unsigned char key[32];
    if (sodium_init() < 0) std::abort();
    randombytes_buf(key, sizeof key);
    c.secret.assign(reinterpret_cast<const char*>(key), sizeof key);
  }
  c.statement_timeout_ms = positive(env("EVENTLY_STATEMENT_TIMEOUT_MS", ""), 60000);
  c.lock_timeout_ms = positive(env("EVENTLY_LOCK_TIMEOUT_MS", ""), 20000);
  c.metrics_dir = env("EVENTLY_METRICS_DIR", "");
  c.nginx_status_socket = env("EVENTLY_NGINX_STATUS_SOCKET", "");
  c.seat_map_cache_bytes = bytes(env("EVENTLY_SEAT_MAP_CACHE_BYTES", ""), size_t{64} << 20);
  c.seat_layout_cache_bytes = bytes(env("EVENTLY_SEAT_LAYOUT_CACHE_BYTES", ""), size_t{32} << 20);
  return c;
}

Config& mutable_config() {
  static Config c = load();
  return c;
}

}  // namespace

const Config& config() { return mutable_config(); }

void set_function_name(std::string name) { mutable_config().function_name = std::move(name); }

}  // namespace evently
