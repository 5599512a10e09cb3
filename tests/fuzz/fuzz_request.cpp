// Request parsing: query strings, path ids and If-None-Match headers of any
// bytes never crash; a path id is a positive integer or a 404.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "evently/errors.hpp"
#include "evently/request.hpp"

using namespace evently;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // No more parameters than the text has separators for.
  const auto query = parse_query(text);
  if (query.size() > static_cast<size_t>(std::count(text.begin(), text.end(), '&')) + 1) std::abort();
  (void)etag_matches(text, "\"e1-v2\"");
  Request req;
  req.path_id = text;
  try {
    if (path_id(req, "event_not_found", "Event not found") <= 0) std::abort();
  } catch (const ApiError& e) {
    if (e.status != 404) std::abort();
  }
  return 0;
}
