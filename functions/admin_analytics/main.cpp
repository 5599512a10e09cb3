// GET /admin/analytics: exact booking figures for a time window.
#include "evently/auth.hpp"
#include "evently/server.hpp"
#include "evently/time.hpp"
#include "evently/validate.hpp"

using namespace evently;

static const Statement kAnalytics{"analytics", "SELECT analytics($1, $2, $3)", true};

int main() {
  return serve({.name = "admin_analytics", .statements = {kAnalytics}},
               [](const Request& req, Db& db) {
                 require_admin(req, db);
                 Validator v;
                 const auto from = v.query_time(req.param("from"), "from", false);
                 const auto to = v.query_time(req.param("to"), "to", true);
                 const int64_t top = v.query_int(req.param("top"), "top", 1, 100, 10);
                 v.check();

                 const auto rows = db.exec(kAnalytics.name, or_null(format_utc(from)),
                                           or_null(format_utc(to)), top);
                 return Response::json(200, rows[0][0].c_str());
               });
}
