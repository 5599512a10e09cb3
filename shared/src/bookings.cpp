#include "evently/bookings.hpp"

#include <algorithm>

#include "evently/json.hpp"

namespace evently {

std::vector<int64_t> read_seat_ids(Validator& v, const cJSON* body) {
  std::vector<int64_t> ids;
  const cJSON* list = v.array(body, "", "seat_ids", 1, 10);
  if (list == nullptr) return ids;
  int i = 0;
  for (const cJSON* item = list->child; item != nullptr; item = item->next, ++i) {
    const auto id = v.integer_value(item, "seat_ids[" + std::to_string(i) + "]", 1, kMaxJsonInt);
    if (id) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
    v.add("seat_ids", "must not repeat a seat");
  return ids;
}

std::optional<std::string> read_idempotency_key(Validator& v, const Request& req) {
  if (!req.idempotency_key) return std::nullopt;
  const std::string& key = *req.idempotency_key;
  const bool visible = std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (key.empty() || key.size() > 255 || !visible) {
    v.add("Idempotency-Key", "must be 1..255 visible ASCII characters");
    return std::nullopt;
  }
  return key;
}

std::string booking_fingerprint(int64_t event_id, const std::vector<int64_t>& seat_ids) {
  std::string out = std::to_string(event_id) + ":";
  for (const int64_t id : seat_ids) out += std::to_string(id) + ",";
  return out;
}

Response outcome(const pqxx::result& rows, const std::string& location_prefix) {
  const int status = rows[0][0].as<int>();
  Response res = Response::json(status, rows[0][1].c_str());
  if (status >= 400) res.content_type = "application/problem+json";
  if (status == 201) {
    const Json booking = parse_json(res.body);
    const cJSON* id = cJSON_GetObjectItemCaseSensitive(booking.get(), "id");
    res.header("Location", location_prefix + std::to_string(static_cast<int64_t>(id->valuedouble)));
  }
  return res;
}

}  // namespace evently
