#pragma once
/// Booking request fields and the answers the booking SQL functions decide.

#include <cjson/cJSON.h>
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evently/request.hpp"
#include "evently/validate.hpp"

namespace evently {

/// `seat_ids`: 1..10 distinct positive integers, returned in ascending order.
std::vector<int64_t> read_seat_ids(Validator& v, const cJSON* body);

/// The Idempotency-Key header: 1..255 visible ASCII characters, or nothing.
std::optional<std::string> read_idempotency_key(Validator& v, const Request& req);

/// What makes two booking requests "the same body": the event and the seat
/// set (order and repeats aside).
std::string booking_fingerprint(int64_t event_id, const std::vector<int64_t>& seat_ids);

/// The answer of a deciding SQL function: a row (o_status, o_body). Errors
/// are problem documents; a 201 names the new resource in Location,
/// `location_prefix` + its id.
Response outcome(const pqxx::result& rows, const std::string& location_prefix);

/// The answer of book(), cancel_booking() or confirm_hold(): a Booking.
inline Response booking_outcome(const pqxx::result& rows) { return outcome(rows, "/bookings/"); }

}  // namespace evently
