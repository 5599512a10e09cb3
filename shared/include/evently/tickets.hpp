#pragma once
/// Queue tickets as the machine's queue_get workers last read them: one
/// table in shared memory beside the change board (board.hpp), so that a
/// waiting client's poll is answered from memory by whichever worker nginx
/// hands it to. A ticket never changes once it is made; what can change the
/// answer of a poll (the session ending, the user joining again, the event's
/// gate) marks the board, and a record holds only while those marks stand.
///
/// A record is found by its session and event in one slot (a newer record
/// takes the slot of an older one: the table is bounded, 65,536 records,
/// 8 MiB), and read whole or not at all: each slot has a sequence number,
/// odd while a worker writes it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evently {

struct TicketRecord {
  int64_t event = 0;
  int64_t user = 0;
  int64_t position = 0;         ///< 0: the user is not in the event's queue
  int64_t admitted_at = 0;      ///< microseconds since the epoch
  uint64_t board_mark = 0;      ///< the board's marks when it was read
  int64_t trusted_until = 0;    ///< microseconds; 0: not to be answered from
  char session[72] = {};        ///< the session's stored token digest, NUL-padded
};

class SharedTickets {
 public:
  static constexpr uint64_t kSlots = uint64_t{1} << 16;

  /// Maps the table file at `path`, making it (0600) when there is none.
  /// Throws std::runtime_error when it cannot.
  explicit SharedTickets(const std::string& path);
  ~SharedTickets();
  SharedTickets(const SharedTickets&) = delete;
  SharedTickets& operator=(const SharedTickets&) = delete;

  /// This process's table, beside its board (EVENTLY_BOARD + "-tickets"),
  /// or null when there is no board or the table cannot be mapped.
  static SharedTickets* get();

  /// The record of this session and event, if its slot holds it (and no
  /// worker is writing it right now).
  [[nodiscard]] std::optional<TicketRecord> find(std::string_view session, int64_t event) const;

  /// Keeps `record` in its slot, unless another worker is writing that slot.
  void keep(const TicketRecord& record);

  /// How long a record read from PostgreSQL may answer polls on the board's
  /// marks alone: EVENTLY_QUEUE_TRUST_MS (30,000; at most 300,000). Longer
  /// than the board's trust, since a ticket never changes and every write
  /// that changes a poll's answer marks the board; what the board cannot
  /// see (a change by hand, a worker killed between its commit and its
  /// mark) shows within this.
  [[nodiscard]] int64_t trust_micros() const { return trust_micros_; }

 private:
  struct Slot;
  Slot* slots_ = nullptr;
  int64_t trust_micros_;
};

/// The record for a ticket read now: its session, user and ticket, trusted
/// until `trusted_until` at the board's `mark`.
TicketRecord ticket_record(std::string_view session, int64_t event, int64_t user, int64_t position,
                           int64_t admitted_at, uint64_t mark, int64_t trusted_until);

}  // namespace evently
