// Cursor decoding: any text is a cursor's values or nothing, never a crash;
// values encoded from the input decode back to themselves, and a cursor
// with any byte changed does not decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "evently/cursor.hpp"

using namespace evently;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (size_t count = 1; count <= 3; ++count) (void)decode_cursor(text, count);

  std::vector<int64_t> values;
  for (size_t i = 0; i + 8 <= size && values.size() < 3; i += 8) {
    int64_t v;
    std::memcpy(&v, data + i, sizeof v);
    values.push_back(v);
  }
  if (values.empty()) return 0;
  const std::string cursor = encode_cursor(values);
  const auto back = decode_cursor(cursor, values.size());
  if (!back || *back != values) std::abort();
  std::string altered = cursor;
  altered[data[0] % altered.size()] ^= static_cast<char>(1 + data[size - 1] % 0x3f);
  if (altered != cursor) {
    const auto bad = decode_cursor(altered, values.size());
    if (bad && *bad != values) std::abort();  // a different value never passes
  }
  return 0;
}
