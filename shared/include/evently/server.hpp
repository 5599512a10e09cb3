#pragma once
/// The FastCGI worker loop every function runs.

#include <functional>
#include <vector>

#include "evently/db.hpp"
#include "evently/request.hpp"

namespace evently {

using Handler = std::function<Response(const Request&, Db&)>;

struct Function {
  const char* name;
  std::vector<Statement> statements;
  /// The endpoint takes a JSON body: Content-Type must be application/json (415).
  bool json_body = false;
  /// Runs once on every new database connection of this function.
  const char* session_sql = "";
  /// Public reads that may be a moment stale: served from DATABASE_READ_URL
  /// when it is set. Never for a function whose answer decides availability.
  bool stale_reads_ok = false;
};

/// Accepts requests until SIGTERM (finishing the one in flight), maps every
/// error to a problem document, and logs one line per request.
int serve(const Function& fn, const Handler& handler);

}  // namespace evently
