#pragma once
/// Opaque, tamper-evident paging cursors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evently {

/// Encodes keyset values as a URL-safe token signed with the configured secret.
std::string encode_cursor(const std::vector<int64_t>& values);

/// The values of a cursor made by encode_cursor with `count` values, or
/// nothing when it is malformed or was altered.
std::optional<std::vector<int64_t>> decode_cursor(std::string_view cursor, size_t count);

}  // namespace evently
