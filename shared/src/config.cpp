#include "evently/config.hpp"

#include <cstdlib>

namespace evently {
namespace {

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

Config load() {
  Config c;
  c.database_url = env("DATABASE_URL", "");
  c.database_read_url = env("DATABASE_READ_URL", "");
  c.token_ttl_seconds = std::strtol(env("EVENTLY_TOKEN_TTL_SECONDS", "86400").c_str(), nullptr, 10);
  if (c.token_ttl_seconds <= 0) c.token_ttl_seconds = 86400;
  c.secret = env("EVENTLY_SECRET", "evently-local-cursor-secret");
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
