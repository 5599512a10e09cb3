#pragma once
/// Input validation that collects every problem, then fails once with the
/// contract's 400 validation_failed.

#include <cjson/cJSON.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evently/errors.hpp"

namespace evently {

/// Largest integer a JSON number carries exactly (I-JSON).
inline constexpr int64_t kMaxJsonInt = (int64_t{1} << 53) - 1;

class Validator {
 public:
  /// The body must be an object; the getters below read its fields.
  const cJSON* object(const cJSON* body);

  /// Required string of min..max characters (Unicode code points).
  std::string string(const cJSON* obj, const std::string& path, const char* key, size_t min,
                     size_t max);
  /// Optional string: absent gives nothing; `null` gives "" when `null_ok`.
  std::optional<std::string> optional_string(const cJSON* obj, const std::string& path,
                                             const char* key, size_t min, size_t max,
                                             bool null_ok = false);
  /// Required integer in min..max.
  int64_t integer(const cJSON* obj, const std::string& path, const char* key, int64_t min,
                  int64_t max);
  /// Required RFC 3339 time, as microseconds since the epoch.
  int64_t time(const cJSON* obj, const std::string& path, const char* key);
  std::optional<int64_t> optional_time(const cJSON* obj, const std::string& path,
                                       const char* key);
  /// Required array of min..max elements (nullptr when invalid).
  const cJSON* array(const cJSON* obj, const std::string& path, const char* key, size_t min,
                     size_t max);
  /// A JSON value as an integer in min..max, or nothing (with an error).
  std::optional<int64_t> integer_value(const cJSON* node, const std::string& field,
                                       int64_t min, int64_t max);

  /// Query parameters.
  int64_t query_int(const std::optional<std::string>& raw, const char* name, int64_t min,
                    int64_t max, int64_t fallback);
  std::optional<int64_t> query_time(const std::optional<std::string>& raw, const char* name,
                                    bool end_of_day);

  void add(std::string field, std::string message);
  [[nodiscard]] bool has(const std::string& field) const;
  [[nodiscard]] bool ok() const { return errors_.empty(); }
  /// Throws 400 validation_failed when anything was wrong.
  void check() const;

 private:
  std::vector<FieldError> errors_;
};

/// Number of Unicode code points in UTF-8 text.
size_t utf8_length(const std::string& text);

/// Whether text is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

/// Joins a field path: ("sections[0]", "rows") -> "sections[0].rows".
std::string field_path(const std::string& path, const char* key);

}  // namespace evently
