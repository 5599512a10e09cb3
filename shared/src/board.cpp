#include "evently/board.hpp"

#include <cjson/cJSON.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "evently/hash.hpp"
#include "evently/shared_file.hpp"

namespace evently {
namespace {

constexpr size_t kFileBytes = (Board::kSlots + 1) * sizeof(uint64_t);

// splitmix64's finalizer: nearby ids land on unrelated slots.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t slot_of(Board::Kind kind, uint64_t a, uint64_t b) {
  const uint64_t h = mix(mix(static_cast<uint64_t>(kind) * 0x9e3779b97f4a7c15ULL ^ a) ^ b);
  return 1 + (h & (Board::kSlots - 1));
}

}  // namespace

Board::Board(const std::string& path, int64_t trust_micros)
    : slots_(static_cast<uint64_t*>(map_shared_file(path, kFileBytes, 0600, "board"))),
      trust_micros_(trust_micros) {}

Board::~Board() { ::munmap(slots_, kFileBytes); }

Board* Board::get() {
  static const std::unique_ptr<Board> board = []() -> std::unique_ptr<Board> {
    const char* path = std::getenv("EVENTLY_BOARD");
    if (path == nullptr || *path == '\0') return nullptr;
    const char* trust = std::getenv("EVENTLY_BOARD_TRUST_MS");
    const long ms = trust != nullptr ? std::strtol(trust, nullptr, 10) : 0;
    try {
      return std::make_unique<Board>(path, int64_t{ms > 0 && ms <= 60000 ? ms : 1000} * 1000);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s; every cached answer is checked with PostgreSQL\n", e.what());
      return nullptr;
    }
  }();
  return board.get();
}

uint64_t Board::load(uint64_t slot) const { return std::atomic_ref<uint64_t>(slots_[slot]).load(); }

void Board::bump(uint64_t slot) { std::atomic_ref<uint64_t>(slots_[slot]).fetch_add(1); }

uint64_t Board::mark(Kind kind, int64_t a, int64_t b) const {
  return load(0) + load(slot_of(kind, static_cast<uint64_t>(a), static_cast<uint64_t>(b)));
}

uint64_t Board::mark(Kind kind, std::string_view key) const {
  return load(0) + load(slot_of(kind, fnv1a(key), 0));
}

void Board::touch(Kind kind, int64_t a, int64_t b) {
  bump(slot_of(kind, static_cast<uint64_t>(a), static_cast<uint64_t>(b)));
}

void Board::touch(Kind kind, std::string_view key) { bump(slot_of(kind, fnv1a(key), 0)); }

void Board::touch_all() { bump(0); }

int64_t Board::trusted_until(int64_t now_micros, int64_t expires_micros) const {
  const int64_t until = now_micros + trust_micros_;
  return expires_micros > 0 ? std::min(until, expires_micros) : until;
}

void touch_event(int64_t event_id) {
  if (Board* board = Board::get()) board->touch(Board::Kind::event, event_id);
}

void touch_event_and_catalog(int64_t event_id) {
  if (Board* board = Board::get()) {
    board->touch(Board::Kind::event, event_id);
    board->touch(Board::Kind::catalog, 0);
  }
}

Response touch_outcome(Response res) {
  Board* board = Board::get();
  if (board == nullptr || res.status == 401 || res.status == 404) return res;
  if (res.status < 300) {
    cJSON* doc = cJSON_ParseWithLength(res.body.data(), res.body.size());
    const cJSON* event = cJSON_GetObjectItemCaseSensitive(doc, "event_id");
    const bool named = cJSON_IsNumber(event);
    if (named) board->touch(Board::Kind::event, static_cast<int64_t>(event->valuedouble));
    cJSON_Delete(doc);
    if (named) return res;
  }
  board->touch_all();
  return res;
}

}  // namespace evently
