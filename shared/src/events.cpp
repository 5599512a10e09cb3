#include "evently/events.hpp"

#include <set>

#include "evently/json.hpp"
#include "evently/time.hpp"

namespace evently {
namespace {

constexpr int64_t kMaxSeats = 100000;
constexpr size_t kMaxSections = 50;

}  // namespace

EventDetails read_event_details(Validator& v, const cJSON* body, bool required) {
  EventDetails d;
  if (required) {
    d.name = v.string(body, "", "name", 1, 200);
    d.venue = v.string(body, "", "venue", 1, 200);
    d.starts_at = format_utc(v.time(body, "", "starts_at"));
  } else {
    d.name = v.optional_string(body, "", "name", 1, 200);
    d.venue = v.optional_string(body, "", "venue", 1, 200);
    if (const auto t = v.optional_time(body, "", "starts_at")) d.starts_at = format_utc(*t);
  }
  if (cJSON_GetObjectItemCaseSensitive(body, "hold_seconds") != nullptr)
    d.hold_seconds = v.integer(body, "", "hold_seconds", 1, 3600);
  if (const cJSON* gate = cJSON_GetObjectItemCaseSensitive(body, "admission")) {
    d.admission_given = true;
    if (cJSON_IsObject(gate)) {
      d.admission_opens_at = format_utc(v.time(gate, "admission", "opens_at"));
      d.admission_rate = v.integer(gate, "admission", "rate_per_minute", 1, 1000000);
    } else if (!cJSON_IsNull(gate)) {
      v.add("admission", "must be null or an object {opens_at, rate_per_minute}");
    }
  }
  // `null` clears the description.
  d.description = v.optional_string(body, "", "description", 0, 5000, true);
  return d;
}

std::string read_sections(Validator& v, const cJSON* body) {
  const cJSON* list = v.array(body, "", "sections", 1, kMaxSections);
  if (list == nullptr) return {};
  Json clean = json_array();
  std::set<std::string> names;
  int64_t seats = 0;
  int i = 0;
  for (const cJSON* item = list->child; item != nullptr; item = item->next, ++i) {
    const std::string path = "sections[" + std::to_string(i) + "]";
    if (!cJSON_IsObject(item)) {
      v.add(path, "must be an object");
      continue;
    }
    const std::string name = v.string(item, path, "name", 1, 200);
    const int64_t rows = v.integer(item, path, "rows", 1, 500);
    const int64_t per_row = v.integer(item, path, "seats_per_row", 1, 500);
    const int64_t price = v.integer(item, path, "price_cents", 0, 100000000);
    if (!name.empty() && !names.insert(name).second)
      v.add(field_path(path, "name"), "must be distinct from the other sections' names");
    seats += rows * per_row;
    cJSON* out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "name", name.c_str());
    cJSON_AddNumberToObject(out, "rows", static_cast<double>(rows));
    cJSON_AddNumberToObject(out, "seats_per_row", static_cast<double>(per_row));
    cJSON_AddNumberToObject(out, "price_cents", static_cast<double>(price));
    cJSON_AddItemToArray(clean.get(), out);
  }
  if (seats > kMaxSeats) v.add("sections", "must hold at most 100000 seats in all");
  return to_string(clean.get());
}

}  // namespace evently
