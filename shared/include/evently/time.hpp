#pragma once
/// RFC 3339 times as microseconds since the Unix epoch (UTC).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evently {

/// Parses `2027-03-01T19:30:00.5+02:00` (an offset or Z is required).
std::optional<int64_t> parse_rfc3339(std::string_view text);

/// Parses a time bound: an RFC 3339 time, or a date (`2027-03-01`), which
/// means that day's first microsecond, or its last when `end_of_day`.
std::optional<int64_t> parse_time_bound(std::string_view text, bool end_of_day);

/// `2027-03-01T19:30:00.000000Z`: exact, for handing to PostgreSQL.
std::string format_utc(int64_t micros);
std::optional<std::string> format_utc(const std::optional<int64_t>& micros);

/// Microseconds since the epoch, now.
int64_t now_micros();

}  // namespace evently
