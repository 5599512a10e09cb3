#pragma once
/// cJSON with single ownership.

#include <cjson/cJSON.h>

#include <memory>
#include <string>
#include <string_view>

namespace evently {

using Json = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

/// Parses a request body; 400 invalid_json when it is not JSON.
Json parse_json(std::string_view text);

/// A new empty object / array.
Json json_object();
Json json_array();

/// Compact JSON text of a tree. Numbers print with 15 significant digits
/// (cJSON's rule), so IDs are never printed through a tree: they come from
/// PostgreSQL as text.
std::string to_string(const cJSON* node);

/// JSON string literal of a text, quotes and escapes included.
std::string quote(std::string_view text);

}  // namespace evently
