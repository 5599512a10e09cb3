#pragma once
/// gzip for large answers that a worker caches (the seat map), so that the
/// compression is paid once per change, not once per request.

#include <string>
#include <string_view>

namespace evently {

/// gzip (RFC 1952) of `data`, at zlib's fastest level.
std::string gzip(std::string_view data);

/// Whether an Accept-Encoding header accepts gzip (and does not give it q=0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace evently
