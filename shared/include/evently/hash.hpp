#pragma once
/// FNV-1a, 64 bits: a hash of text that is the same in every build and
/// process (std::hash need not be), for keys shared between workers.

#include <cstdint>
#include <string_view>

namespace evently {

inline uint64_t fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace evently
