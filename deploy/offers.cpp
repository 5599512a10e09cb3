// evently-offers: the waitlist's offer maker. Every 200 ms it serves each
// event with waiting entries (sql/019 waitlist_serve_all_changed), so that a
// seat freed by an expiry — which no request marks — is offered within a
// second even when no request comes, and marks each event where it made an
// offer on the change board. Run by deploy/evently as a supervised process;
// safe to run twice, and correctness never depends on it: every write that
// can take seats serves the waitlist first.
#include <unistd.h>

#include <cstdio>

#include "evently/background.hpp"
#include "evently/board.hpp"
#include "evently/config.hpp"
#include "evently/db.hpp"

using namespace evently;

int main() {
  if (!start_background_process()) return 1;
  Db db(config().database_url, {{"serve_all", "SELECT * FROM waitlist_serve_all_changed()"}},
        "SET statement_timeout = '10s'; SET lock_timeout = '2s'");
  while (!stop_requested()) {
    try {
      for (const auto& row : db.exec("serve_all")) touch_event(row[0].as<int64_t>());
    } catch (const std::exception& e) {
      // The database may be away, or a lock busy: the next round tries again.
      std::fprintf(stderr, "offers[%d] error: %s\n", static_cast<int>(getpid()), e.what());
      db.reset();
      ::sleep(1);
    }
    ::usleep(200 * 1000);
  }
  return 0;
}
