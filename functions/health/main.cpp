// GET /health: the service is up and reaches its database.
#include "evently/server.hpp"

using namespace evently;

int main() {
  return serve({.name = "health", .statements = {{"ping", "SELECT 1", true}}},
               [](const Request&, Db& db) {
                 db.exec("ping");  // 503 service_unavailable when the database is down
                 return Response::json(200, R"({"status":"ok","database":"ok"})");
               });
}
