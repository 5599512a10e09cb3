#pragma once
/// Event fields as the admin endpoints accept them.

#include <cjson/cJSON.h>

#include <optional>
#include <string>

#include "evently/validate.hpp"

namespace evently {

/// The editable details of an event; absent fields are nothing.
struct EventDetails {
  std::optional<std::string> name;
  std::optional<std::string> venue;
  std::optional<std::string> description;
  std::optional<std::string> starts_at;  ///< UTC, exact, for PostgreSQL
  std::optional<int64_t> hold_seconds;   ///< how long new holds last, 1..3600
  /// `admission` was given: a gate (the two fields below) or `null` (none).
  bool admission_given = false;
  std::optional<std::string> admission_opens_at;  ///< UTC, exact
  std::optional<int64_t> admission_rate;          ///< rate_per_minute, 1..1000000
};

/// Reads name, venue, description, starts_at, hold_seconds and admission; `required` makes name,
/// venue and starts_at mandatory (creation), else each is optional (PATCH).
EventDetails read_event_details(Validator& v, const cJSON* body, bool required);

/// Validates `sections` for creation and returns them as clean JSON text:
/// [{"name","rows","seats_per_row","price_cents"}], at most 100000 seats.
std::string read_sections(Validator& v, const cJSON* body);

}  // namespace evently
