#include "evently/tickets.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>

#include "evently/board.hpp"
#include "evently/hash.hpp"
#include "evently/shared_file.hpp"

namespace evently {

static_assert(std::is_trivially_copyable_v<TicketRecord>);
static_assert(sizeof(TicketRecord) % sizeof(uint64_t) == 0);

constexpr size_t kWords = sizeof(TicketRecord) / sizeof(uint64_t);

struct SharedTickets::Slot {
  uint64_t seq;  ///< odd while a worker writes the record
  uint64_t words[kWords];
};

namespace {

constexpr size_t kFileBytes = SharedTickets::kSlots * sizeof(uint64_t) * (1 + sizeof(TicketRecord) / 8);

uint64_t slot_of(std::string_view session, int64_t event) {
  uint64_t h = fnv1a(session) ^ (static_cast<uint64_t>(event) * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 29;
  return h & (SharedTickets::kSlots - 1);
}

std::atomic_ref<uint64_t> word(const uint64_t& w) { return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(w)); }

std::string_view session_of(const TicketRecord& r) { return {r.session, strnlen(r.session, sizeof r.session)}; }

}  // namespace

SharedTickets::SharedTickets(const std::string& path)
    : slots_(static_cast<Slot*>(map_shared_file(path, kFileBytes, 0600, "ticket table"))) {
  const char* trust = std::getenv("EVENTLY_QUEUE_TRUST_MS");
  const long ms = trust != nullptr ? std::strtol(trust, nullptr, 10) : 0;
  trust_micros_ = int64_t{ms > 0 && ms <= 300000 ? ms : 30000} * 1000;
}

SharedTickets::~SharedTickets() { ::munmap(slots_, kFileBytes); }

SharedTickets* SharedTickets::get() {
  static const std::unique_ptr<SharedTickets> table = []() -> std::unique_ptr<SharedTickets> {
    const char* board = std::getenv("EVENTLY_BOARD");
    if (Board::get() == nullptr || board == nullptr) return nullptr;
    try {
      return std::make_unique<SharedTickets>(std::string(board) + "-tickets");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s; polls are checked with PostgreSQL\n", e.what());
      return nullptr;
    }
  }();
  return table.get();
}

std::optional<TicketRecord> SharedTickets::find(std::string_view session, int64_t event) const {
  const Slot& slot = slots_[slot_of(session, event)];
  const uint64_t before = word(slot.seq).load(std::memory_order_acquire);
  if ((before & 1) != 0) return std::nullopt;
  uint64_t copy[kWords];
  for (size_t i = 0; i < kWords; ++i) copy[i] = word(slot.words[i]).load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (word(slot.seq).load(std::memory_order_relaxed) != before) return std::nullopt;  // written meanwhile
  TicketRecord r;
  std::memcpy(&r, copy, sizeof r);
  if (r.event != event || session_of(r) != session) return std::nullopt;
  return r;
}

void SharedTickets::keep(const TicketRecord& record) {
  Slot& slot = slots_[slot_of(session_of(record), record.event)];
  auto seq = word(slot.seq);
  uint64_t s = seq.load(std::memory_order_relaxed);
  if ((s & 1) != 0 || !seq.compare_exchange_strong(s, s + 1, std::memory_order_relaxed)) return;
  std::atomic_thread_fence(std::memory_order_release);
  uint64_t copy[kWords];
  std::memcpy(copy, &record, sizeof copy);
  for (size_t i = 0; i < kWords; ++i) word(slot.words[i]).store(copy[i], std::memory_order_relaxed);
  seq.store(s + 2, std::memory_order_release);
}

TicketRecord ticket_record(std::string_view session, int64_t event, int64_t user, int64_t position,
                           int64_t admitted_at, uint64_t mark, int64_t trusted_until) {
  TicketRecord r;
  r.event = event;
  r.user = user;
  r.position = position;
  r.admitted_at = admitted_at;
  r.board_mark = mark;
  r.trusted_until = trusted_until;
  std::memcpy(r.session, session.data(), std::min(session.size(), sizeof r.session - 1));
  return r;
}

}  // namespace evently
