#pragma once
/// The change board: one small table in shared memory per host. Every write
/// made on this host marks what it changed (an event, the catalog, a
/// session, a queue ticket) once it has committed and before it answers. A
/// worker's cached answer keeps the marks it was read at: while they have
/// not moved, and no instant it names (a hold's expiry) has passed, the
/// answer is still the one PostgreSQL would give, and it is served with no
/// round trip. The mark is read before the database is, so a write that
/// commits during a read moves it and the next read asks again.
///
/// A write the board cannot see (one made by hand in psql, or by a worker
/// killed between its commit and its mark) is bounded by trust: an answer is
/// checked with PostgreSQL again at least every EVENTLY_BOARD_TRUST_MS
/// (1000 ms) whatever the marks say.
///
/// It is only for a stack whose every writer runs on this host:
/// deploy/evently names it (EVENTLY_BOARD) for a one-machine stack, not for
/// the function hosts of a multi-machine layout nor with DATABASE_READ_URL
/// (a standby may answer from before a mark). Without it every cached answer
/// is checked with PostgreSQL, as it always was.

#include <cstdint>
#include <string>
#include <string_view>

#include "evently/request.hpp"

namespace evently {

class Board {
 public:
  /// What a mark is of. Distinct kinds never share a slot on purpose (they
  /// may by chance: a shared slot only costs an extra check).
  enum class Kind : uint64_t { event = 1, catalog = 2, session = 3, ticket = 4 };

  /// Slots of the table (a power of two); the file holds one more, the mark
  /// of everything.
  static constexpr uint64_t kSlots = uint64_t{1} << 16;

  /// Maps the board file at `path`, making it (0600) when there is none.
  /// Throws std::runtime_error when it cannot.
  explicit Board(const std::string& path, int64_t trust_micros);
  ~Board();
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  /// This process's board from EVENTLY_BOARD, or null when there is none
  /// (unset, or it cannot be mapped: said once on stderr).
  static Board* get();

  /// The mark of one thing: it grows with every touch of it (and of all).
  /// Marks of several things are summed: the sum moves when any of them does.
  [[nodiscard]] uint64_t mark(Kind kind, int64_t a, int64_t b = 0) const;
  [[nodiscard]] uint64_t mark(Kind kind, std::string_view key) const;

  void touch(Kind kind, int64_t a, int64_t b = 0);
  void touch(Kind kind, std::string_view key);
  /// Every cached answer on this host is checked again.
  void touch_all();

  /// Until when an answer read now may be served on its marks alone:
  /// the trust window, or `expires_micros` if that comes first (0: none).
  [[nodiscard]] int64_t trusted_until(int64_t now_micros, int64_t expires_micros) const;

 private:
  [[nodiscard]] uint64_t load(uint64_t slot) const;
  void bump(uint64_t slot);

  uint64_t* slots_ = nullptr;  ///< [0]: everything; [1..kSlots]: the things
  int64_t trust_micros_;
};

/// Marks the event changed on this process's board, if it has one.
void touch_event(int64_t event_id);

/// Marks the event and the catalog changed (an event's details or its place
/// in search), if there is a board.
void touch_event_and_catalog(int64_t event_id);

/// Marks a write's outcome on the board, and returns it: its event when the
/// answer (a Booking, Hold or WaitlistEntry) names one; everything when it
/// failed in a way that may still have changed seats (a 409 whose
/// transaction served the waitlist); nothing for 401 and 404.
Response touch_outcome(Response res);

}  // namespace evently
