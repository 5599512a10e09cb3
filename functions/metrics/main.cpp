// GET /metrics: every function's counters and nginx's figures as Prometheus
// text. nginx answers it only for EVENTLY_METRICS_ALLOW (404 to others).
#include "evently/config.hpp"
#include "evently/metrics.hpp"
#include "evently/server.hpp"

using namespace evently;

int main() {
  return serve({.name = "metrics", .statements = {}}, [](const Request&, Db&) {
    Response res = Response::json(200, prometheus_text(config().metrics_dir) +
                                           nginx_status_text(config().nginx_status_socket));
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return res;
  });
}
