#include "evently/paging.hpp"

#include "evently/cursor.hpp"

namespace evently {

Page read_page(Validator& v, const Request& req, size_t keys) {
  Page page;
  page.limit = v.query_int(req.param("limit"), "limit", 1, 100, 20);
  if (const auto cursor = req.param("cursor")) {
    page.after = decode_cursor(*cursor, keys);
    if (!page.after) v.add("cursor", "is not a cursor this API issued");
  }
  return page;
}

std::string page_json(const char* list, const pqxx::result& rows, const Page& page, size_t keys) {
  const auto shown = std::min<pqxx::result::size_type>(rows.size(), page.limit);
  std::string out = std::string("{\"") + list + "\":[";
  for (pqxx::result::size_type i = 0; i < shown; ++i) {
    if (i > 0) out += ',';
    out += rows[i][0].c_str();
  }
  out += "],\"next_cursor\":";
  if (rows.size() > shown) {
    std::vector<int64_t> last;
    for (size_t k = 1; k <= keys; ++k) last.push_back(rows[shown - 1][static_cast<int>(k)].as<int64_t>());
    out += '"' + encode_cursor(last) + '"';
  } else {
    out += "null";
  }
  return out + '}';
}

}  // namespace evently
