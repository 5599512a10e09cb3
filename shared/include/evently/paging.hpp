#pragma once
/// Keyset pagination: `limit` (1..100, default 20) and an opaque cursor.

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evently/request.hpp"
#include "evently/validate.hpp"

namespace evently {

struct Page {
  int64_t limit = 20;
  /// Keyset values of the last item already seen; nothing on the first page.
  std::optional<std::vector<int64_t>> after;
};

/// Reads `limit` and `cursor` (a cursor of `keys` values) into `v`'s errors.
Page read_page(Validator& v, const Request& req, size_t keys);

/// `{"<list>": [...], "next_cursor": ...}` from rows fetched with LIMIT
/// limit + 1: column 0 is an item's JSON, the next `keys` columns its keyset
/// values.
std::string page_json(const char* list, const pqxx::result& rows, const Page& page, size_t keys);

}  // namespace evently
