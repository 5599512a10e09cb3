// The JSON grammar and validation: any body either parses or is a 400
// invalid_json; the validator over any tree only collects field errors; a
// valid UTF-8 text quoted as JSON parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "evently/accounts.hpp"
#include "evently/json.hpp"
#include "evently/validate.hpp"

using namespace evently;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Json body = parse_json(text);
    Validator v;
    const cJSON* in = v.object(body.get());
    (void)normalize_email(v, in);
    (void)v.string(in, "", "name", 1, 100);
    (void)v.optional_string(in, "", "venue", 1, 200, true);
    (void)v.integer(in, "", "event_id", 1, kMaxJsonInt);
    (void)v.optional_time(in, "", "starts_at");
    if (const cJSON* seats = v.array(in, "", "seat_ids", 1, 100)) {
      for (const cJSON* s = seats->child; s != nullptr; s = s->next)
        (void)v.integer_value(s, "seat_ids[]", 1, kMaxJsonInt);
    }
    (void)to_string(body.get());
    if (!v.ok()) {
      try {
        v.check();
        std::abort();  // errors were collected: check() must throw
      } catch (const ApiError& e) {
        if (e.status != 400) std::abort();
      }
    }
  } catch (const ApiError& e) {
    if (e.status != 400) std::abort();
  }
  if (valid_utf8(text) && text.find('\0') == std::string::npos) {
    const Json back = parse_json(quote(text));
    if (!cJSON_IsString(back.get()) || text != back->valuestring) std::abort();
  }
  return 0;
}
