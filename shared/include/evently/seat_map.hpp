#pragma once
/// The seat map, rendered in the worker: an event's layout never changes
/// once it is created, so a worker keeps it and asks PostgreSQL only for the
/// seats' current statuses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evently/db.hpp"

namespace evently {

/// The statements load_seat_layout() needs.
extern const Statement kSeatLayoutStatement;
extern const Statement kSectionsStatement;

/// An event's seats in map order (section, row, number), each pre-rendered
/// up to its status.
struct SeatLayout {
  std::string sections_json;
  std::vector<std::string> section_names;
  struct Seat {
    uint32_t section;
    std::string prefix;  ///< {"id":..,"section":..,"row":..,"number":..,"price_cents":..,"status":"
  };
  std::vector<Seat> seats;
};

SeatLayout load_seat_layout(Db& db, int64_t event_id);

/// {"event_id","sections","seats"}: statuses[i] is '1' when seats[i] is
/// booked, '2' when held, '0' when available; the filters keep one section
/// and/or one status.
std::string render_seat_map(int64_t event_id, const SeatLayout& layout, std::string_view statuses,
                            const std::optional<std::string>& section,
                            const std::optional<std::string>& status);

}  // namespace evently
