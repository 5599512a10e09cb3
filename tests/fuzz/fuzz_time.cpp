// RFC 3339 parsing: any text is a time or nothing, never a crash; a parsed
// time formats to a text that parses back to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "evently/time.hpp"

using namespace evently;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (const auto t = parse_rfc3339(text)) {
    const auto again = parse_rfc3339(format_utc(*t));
    if (!again || *again != *t) std::abort();
  }
  (void)parse_time_bound(text, false);
  (void)parse_time_bound(text, true);
  return 0;
}
