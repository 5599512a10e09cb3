// evently-sweeper: keeps the tables that any account can grow bounded. Every
// EVENTLY_SWEEP_INTERVAL seconds (60) it deletes, in batches of at most 1000
// rows, expired sessions, idempotency keys older than
// EVENTLY_IDEMPOTENCY_KEY_HOURS (24, never less) and login-throttle rows
// past their window (sql/010 sweep_expired). Run by deploy/evently as a
// supervised process; safe to run twice, and correctness never depends on it
// having run. Expired holds are not its business: they read as expired at
// their instant, and the offer maker frees their seats where people wait.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "evently/background.hpp"
#include "evently/config.hpp"
#include "evently/db.hpp"

using namespace evently;

namespace {

constexpr int kBatch = 1000;

long env_seconds(const char* name, long fallback) {
  const char* v = std::getenv(name);
  const long n = v != nullptr ? std::strtol(v, nullptr, 10) : 0;
  return n > 0 && n <= 86400 ? n : fallback;
}

// Sweeps until a round leaves less than a full batch of any kind.
void sweep(Db& db, long key_hours) {
  for (int round = 0; round < 100 && !stop_requested(); ++round) {
    const auto r = db.exec("sweep_expired", kBatch, key_hours);
    const int sessions = r[0][0].as<int>(), keys = r[0][1].as<int>(), failures = r[0][2].as<int>();
    if (sessions + keys + failures > 0)
      std::fprintf(stderr, "sweeper[%d] removed %d sessions, %d idempotency keys, %d login failures\n",
                   static_cast<int>(getpid()), sessions, keys, failures);
    if (sessions < kBatch && keys < kBatch && failures < kBatch) return;
  }
}

}  // namespace

int main() {
  if (!start_background_process()) return 1;
  const long interval = env_seconds("EVENTLY_SWEEP_INTERVAL", 60);
  const long key_hours = env_seconds("EVENTLY_IDEMPOTENCY_KEY_HOURS", 24);
  Db db(config().database_url,
        {{"sweep_expired", "SELECT * FROM sweep_expired($1, $2)"}},
        "SET statement_timeout = '30s'; SET lock_timeout = '2s'");
  while (!stop_requested()) {
    try {
      sweep(db, key_hours);
    } catch (const std::exception& e) {
      // The database may be away, or a lock busy: the next round tries again.
      std::fprintf(stderr, "sweeper[%d] error: %s\n", static_cast<int>(getpid()), e.what());
      db.reset();
    }
    for (long s = 0; s < interval && !stop_requested(); ++s) ::sleep(1);
  }
  return 0;
}
