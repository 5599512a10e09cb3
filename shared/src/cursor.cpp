#include "evently/cursor.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "evently/config.hpp"

namespace evently {
namespace {

constexpr size_t kMacBytes = 12;

void mac(const unsigned char* data, size_t len, unsigned char out[kMacBytes]) {
  const std::string& key = config().secret;
  unsigned char full[crypto_generichash_BYTES];
  crypto_generichash(full, sizeof full, data, len,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     std::min(key.size(), size_t{crypto_generichash_KEYBYTES_MAX}));
  std::memcpy(out, full, kMacBytes);
}

}  // namespace

std::string encode_cursor(const std::vector<int64_t>& values) {
  std::string raw(values.size() * 8 + kMacBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  for (size_t i = 0; i < values.size(); ++i) {
    auto v = static_cast<uint64_t>(values[i]);
    for (int b = 7; b >= 0; --b, v >>= 8) bytes[i * 8 + static_cast<size_t>(b)] = v & 0xff;
  }
  mac(bytes, values.size() * 8, bytes + values.size() * 8);
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::vector<int64_t>> decode_cursor(std::string_view cursor, size_t count) {
  const size_t want = count * 8 + kMacBytes;
  std::string raw(want + 1, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), cursor.data(),
                        cursor.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != cursor.data() + cursor.size() || len != want)
    return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  unsigned char expected[kMacBytes];
  mac(bytes, count * 8, expected);
  if (sodium_memcmp(expected, bytes + count * 8, kMacBytes) != 0) return std::nullopt;
  std::vector<int64_t> values(count);
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b) v = (v << 8) | bytes[i * 8 + b];
    values[i] = static_cast<int64_t>(v);
  }
  return values;
}

}  // namespace evently
