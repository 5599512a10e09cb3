#include "evently/json.hpp"

#include "evently/errors.hpp"

namespace evently {

Json parse_json(std::string_view text) {
  const char* end = nullptr;
  cJSON* root = cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false);
  Json doc(root, &cJSON_Delete);
  if (root == nullptr) throw ApiError(400, "invalid_json", "The request body is not valid JSON");
  // Anything but white space after the value makes the body invalid.
  for (const char* p = end; p < text.data() + text.size(); ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      throw ApiError(400, "invalid_json", "The request body is not valid JSON");
  }
  return doc;
}

Json json_object() { return Json(cJSON_CreateObject(), &cJSON_Delete); }
Json json_array() { return Json(cJSON_CreateArray(), &cJSON_Delete); }

std::string to_string(const cJSON* node) {
  std::unique_ptr<char, decltype(&cJSON_free)> text(cJSON_PrintUnformatted(node), &cJSON_free);
  if (!text) throw std::bad_alloc();
  return text.get();
}

std::string quote(std::string_view text) {
  Json s(cJSON_CreateString(std::string(text).c_str()), &cJSON_Delete);
  return to_string(s.get());
}

}  // namespace evently
