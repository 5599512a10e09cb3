#include "evently/metrics.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using namespace evently;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/evently-metrics-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST(WorkerMetrics, CountsRequestsByStatusAndLatency) {
  TempDir dir;
  {
    WorkerMetrics m(dir.path, "booking_create");
    m.request(201, 0.0004);
    m.request(201, 0.003);
    m.request(409, 20.0);
    m.db_error();
    m.db_reconnect();
    const FunctionMetrics read = read_function_metrics(dir.path, "booking_create");
    EXPECT_EQ(read.live_workers, 1);
    EXPECT_EQ(read.starts, 1u);
    ASSERT_EQ(read.requests.size(), 2u);
    EXPECT_EQ(read.requests[0], (std::pair<int, uint64_t>{201, 2}));
    EXPECT_EQ(read.requests[1], (std::pair<int, uint64_t>{409, 1}));
    EXPECT_EQ(read.buckets[0], 1u);             // <= 1 ms
    EXPECT_EQ(read.buckets[2], 1u);             // <= 5 ms
    EXPECT_EQ(read.buckets[kBucketCount], 1u);  // beyond the last bound
    EXPECT_EQ(read.db_errors, 1u);
    EXPECT_EQ(read.db_reconnects, 1u);
  }
  // The worker is gone: its counts stay, its slot is free again.
  const FunctionMetrics after = read_function_metrics(dir.path, "booking_create");
  EXPECT_EQ(after.live_workers, 0);
  EXPECT_EQ(after.requests.size(), 2u);
}

TEST(WorkerMetrics, GivesEachLiveWorkerItsOwnSlot) {
  TempDir dir;
  WorkerMetrics a(dir.path, "health");
  WorkerMetrics b(dir.path, "health");
  a.request(200, 0.001);
  b.request(200, 0.001);
  const FunctionMetrics read = read_function_metrics(dir.path, "health");
  EXPECT_EQ(read.live_workers, 2);
  EXPECT_EQ(read.starts, 2u);
  ASSERT_EQ(read.requests.size(), 1u);
  EXPECT_EQ(read.requests[0].second, 2u);
}

TEST(WorkerMetrics, SeesWorkersOfOtherProcesses) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    WorkerMetrics m(dir.path, "event_seats");
    m.request(304, 0.001);
    char c = 'x';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(read_function_metrics(dir.path, "event_seats").live_workers, 1);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // A killed worker's slot frees itself; a replacement takes it over.
  EXPECT_EQ(read_function_metrics(dir.path, "event_seats").live_workers, 0);
  WorkerMetrics replacement(dir.path, "event_seats");
  const FunctionMetrics read = read_function_metrics(dir.path, "event_seats");
  EXPECT_EQ(read.live_workers, 1);
  EXPECT_EQ(read.starts, 2u);
  close(ready[0]);
  close(ready[1]);
}

TEST(WorkerMetrics, CountsNothingWithoutADirectory) {
  WorkerMetrics m("", "health");
  m.request(200, 0.1);  // no slot: nothing to count, nothing to crash
  EXPECT_TRUE(metrics_functions("/nonexistent/evently").empty());
}

TEST(PrometheusText, HasEveryFamilyWithCumulativeBuckets) {
  TempDir dir;
  WorkerMetrics m(dir.path, "booking_create");
  m.request(201, 0.002);
  m.request(201, 0.2);
  const std::string text = prometheus_text(dir.path);
  EXPECT_NE(text.find("# TYPE evently_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("evently_requests_total{function=\"booking_create\",status=\"201\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("evently_request_duration_seconds_bucket{function=\"booking_create\",le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("evently_request_duration_seconds_bucket{function=\"booking_create\",le=\"0.25\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("evently_request_duration_seconds_bucket{function=\"booking_create\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("evently_request_duration_seconds_count{function=\"booking_create\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("evently_workers{function=\"booking_create\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("evently_bookings_created_total{function=\"booking_create\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("evently_bookings_created_total{function=\"hold_confirm\"} 0\n"), std::string::npos);
}

TEST(NginxStatus, BecomesPrometheusText) {
  const std::string text = nginx_status_to_prometheus(
      "Active connections: 3 \nserver accepts handled requests\n 10 9 42 \nReading: 0 Writing: 1 Waiting: 2 \n");
  EXPECT_NE(text.find("nginx_connections_active 3\n"), std::string::npos);
  EXPECT_NE(text.find("nginx_connections_accepted_total 10\n"), std::string::npos);
  EXPECT_NE(text.find("nginx_connections_handled_total 9\n"), std::string::npos);
  EXPECT_NE(text.find("nginx_http_requests_total 42\n"), std::string::npos);
  EXPECT_NE(text.find("nginx_connections{state=\"waiting\"} 2\n"), std::string::npos);
}

TEST(NginxStatus, IgnoresWhatIsNotAStatusPage) {
  EXPECT_EQ(nginx_status_to_prometheus(""), "");
  EXPECT_EQ(nginx_status_to_prometheus("<html>502 Bad Gateway</html>"), "");
  EXPECT_EQ(nginx_status_text("/nonexistent/evently/nginx-status.sock"), "");
}
