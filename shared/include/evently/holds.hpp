#pragma once
/// Hold request fields: exact seats or a best-available quantity.

#include <cjson/cJSON.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evently/validate.hpp"

namespace evently {

/// Most seats one request (and one user, per event) may hold.
inline constexpr int64_t kMaxHeldSeats = 10;

struct HoldRequest {
  int64_t event_id = 0;
  std::vector<int64_t> seat_ids;    ///< ascending; empty when `quantity` is given
  std::optional<int64_t> quantity;  ///< best available
  std::optional<std::string> section;  ///< only read with `quantity`

  /// What makes two hold requests "the same body" for Idempotency-Key.
  [[nodiscard]] std::string fingerprint() const;
};

/// Reads `event_id` and exactly one of `seat_ids` (1..10 distinct ids) and
/// `quantity` (1..10, with an optional `section`).
HoldRequest read_hold_request(Validator& v, const cJSON* body);

}  // namespace evently
