#include "evently/compress.hpp"

#include <zlib.h>

#include <cctype>
#include <stdexcept>

namespace evently {

std::string gzip(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

bool accepts_gzip(std::string_view header) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && std::isspace(static_cast<unsigned char>(coding.front()))) coding.remove_prefix(1);
    while (!coding.empty() && std::isspace(static_cast<unsigned char>(coding.back()))) coding.remove_suffix(1);
    if (coding != "gzip" && coding != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    // gzip;q=0 (or 0.0, 0.00...) refuses it.
    std::string q;
    for (const char c : item.substr(semi + 1))
      if (!std::isspace(static_cast<unsigned char>(c))) q += c;
    return q.rfind("q=0", 0) != 0 || q.find_first_of("123456789", 3) != std::string::npos;
  }
  return false;
}

}  // namespace evently
