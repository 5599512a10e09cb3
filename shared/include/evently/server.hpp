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
};

/// Accepts requests until SIGTERM (finishing the one in flight), maps every
/// error to a problem document, and logs one line per request.
int serve(const Function& fn, const Handler& handler);

}  // namespace evently
