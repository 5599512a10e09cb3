#include "evently/holds.hpp"

#include "evently/bookings.hpp"

namespace evently {

std::string HoldRequest::fingerprint() const {
  if (!quantity) return booking_fingerprint(event_id, seat_ids);
  // The section goes last and whole, so no two requests share a fingerprint.
  return std::to_string(event_id) + ":q" + std::to_string(*quantity) + ":" +
         (section ? "s" + *section : "-");
}

HoldRequest read_hold_request(Validator& v, const cJSON* body) {
  HoldRequest r;
  r.event_id = v.integer(body, "", "event_id", 1, kMaxJsonInt);
  const bool by_seats = cJSON_GetObjectItemCaseSensitive(body, "seat_ids") != nullptr;
  const bool by_quantity = cJSON_GetObjectItemCaseSensitive(body, "quantity") != nullptr;
  if (by_seats == by_quantity) {
    v.add(by_seats ? "quantity" : "seat_ids", "give exactly one of seat_ids and quantity");
  } else if (by_seats) {
    r.seat_ids = read_seat_ids(v, body);
  } else {
    r.quantity = v.integer(body, "", "quantity", 1, kMaxHeldSeats);
    // `null` is no section, like leaving it out.
    r.section = v.optional_string(body, "", "section", 1, 200, true);
    if (r.section && r.section->empty()) r.section.reset();
  }
  return r;
}

}  // namespace evently
