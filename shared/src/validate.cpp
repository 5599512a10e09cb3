#include "evently/validate.hpp"

#include <charconv>
#include <cmath>

#include "evently/time.hpp"

namespace evently {

size_t utf8_length(const std::string& text) {
  size_t n = 0;
  for (const unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p++;
    if (c < 0x80) continue;
    // The lead byte fixes the length and the range of the first continuation byte.
    int more = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) more = 1;
    else if (c == 0xE0) more = 2, lo = 0xA0;
    else if (c == 0xED) more = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) more = 2;
    else if (c == 0xF0) more = 3, lo = 0x90;
    else if (c == 0xF4) more = 3, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) more = 3;
    else return false;
    if (end - p < more || *p < lo || *p > hi) return false;
    for (++p, --more; more > 0; --more, ++p)
      if ((*p & 0xC0) != 0x80) return false;
  }
  return true;
}

std::string field_path(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

void Validator::add(std::string field, std::string message) {
  errors_.push_back({std::move(field), std::move(message)});
}

bool Validator::has(const std::string& field) const {
  for (const auto& e : errors_)
    if (e.field == field) return true;
  return false;
}

void Validator::check() const {
  if (!errors_.empty()) throw validation_failed(errors_);
}

const cJSON* Validator::object(const cJSON* body) {
  if (!cJSON_IsObject(body)) {
    add("body", "must be a JSON object");
    check();
  }
  return body;
}

namespace {

std::string range_message(int64_t min, int64_t max) {
  return "must be " + std::to_string(min) + ".." + std::to_string(max);
}

std::string length_message(size_t min, size_t max) {
  return min == 0 ? "must be at most " + std::to_string(max) + " characters"
                  : "must be " + std::to_string(min) + ".." + std::to_string(max) + " characters";
}

}  // namespace

std::optional<std::string> Validator::optional_string(const cJSON* obj, const std::string& path,
                                                      const char* key, size_t min, size_t max,
                                                      bool null_ok) {
  const cJSON* node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (node == nullptr) return std::nullopt;
  const std::string field = field_path(path, key);
  if (cJSON_IsNull(node) && null_ok) return std::string();
  if (!cJSON_IsString(node)) {
    add(field, "must be a string");
    return std::nullopt;
  }
  std::string value = node->valuestring;
  const size_t len = utf8_length(value);
  if (len < min || len > max) {
    add(field, length_message(min, max));
    return std::nullopt;
  }
  return value;
}

std::string Validator::string(const cJSON* obj, const std::string& path, const char* key,
                              size_t min, size_t max) {
  if (cJSON_GetObjectItemCaseSensitive(obj, key) == nullptr) {
    add(field_path(path, key), "is required");
    return {};
  }
  return optional_string(obj, path, key, min, max).value_or("");
}

std::optional<int64_t> Validator::integer_value(const cJSON* node, const std::string& field,
                                                int64_t min, int64_t max) {
  if (!cJSON_IsNumber(node)) {
    add(field, "must be an integer");
    return std::nullopt;
  }
  const double v = node->valuedouble;
  if (!std::isfinite(v) || std::trunc(v) != v) {
    add(field, "must be an integer");
    return std::nullopt;
  }
  if (v < static_cast<double>(min) || v > static_cast<double>(max)) {
    add(field, range_message(min, max));
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

int64_t Validator::integer(const cJSON* obj, const std::string& path, const char* key,
                           int64_t min, int64_t max) {
  const cJSON* node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (node == nullptr) {
    add(field_path(path, key), "is required");
    return 0;
  }
  return integer_value(node, field_path(path, key), min, max).value_or(0);
}

std::optional<int64_t> Validator::optional_time(const cJSON* obj, const std::string& path,
                                                const char* key) {
  const cJSON* node = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (node == nullptr) return std::nullopt;
  const std::string field = field_path(path, key);
  std::optional<int64_t> t;
  if (cJSON_IsString(node)) t = parse_rfc3339(node->valuestring);
  if (!t) add(field, "must be an RFC 3339 time with an offset, e.g. 2027-03-01T19:30:00Z");
  return t;
}

int64_t Validator::time(const cJSON* obj, const std::string& path, const char* key) {
  if (cJSON_GetObjectItemCaseSensitive(obj, key) == nullptr) {
    add(field_path(path, key), "is required");
    return 0;
  }
  return optional_time(obj, path, key).value_or(0);
}

const cJSON* Validator::array(const cJSON* obj, const std::string& path, const char* key,
                              size_t min, size_t max) {
  const cJSON* node = cJSON_GetObjectItemCaseSensitive(obj, key);
  const std::string field = field_path(path, key);
  if (node == nullptr) {
    add(field, "is required");
    return nullptr;
  }
  if (!cJSON_IsArray(node)) {
    add(field, "must be an array");
    return nullptr;
  }
  const auto n = static_cast<size_t>(cJSON_GetArraySize(node));
  if (n < min || n > max) {
    add(field, "must have " + std::to_string(min) + ".." + std::to_string(max) + " items");
    return nullptr;
  }
  return node;
}

int64_t Validator::query_int(const std::optional<std::string>& raw, const char* name,
                             int64_t min, int64_t max, int64_t fallback) {
  if (!raw) return fallback;
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (raw->empty() || ec != std::errc() || ptr != raw->data() + raw->size() || v < min ||
      v > max) {
    add(name, "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
    return fallback;
  }
  return v;
}

std::optional<int64_t> Validator::query_time(const std::optional<std::string>& raw,
                                             const char* name, bool end_of_day) {
  if (!raw) return std::nullopt;
  auto t = parse_time_bound(*raw, end_of_day);
  if (!t) add(name, "must be an RFC 3339 time or a date (YYYY-MM-DD)");
  return t;
}

}  // namespace evently
