#include "evently/background.hpp"

#include <sodium.h>

#include <csignal>

namespace evently {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_terminate(int) { g_stop = 1; }

}  // namespace

bool start_background_process() {
  if (sodium_init() < 0) return false;
  struct sigaction sa {};
  sa.sa_handler = on_terminate;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  return true;
}

bool stop_requested() { return g_stop != 0; }

}  // namespace evently
