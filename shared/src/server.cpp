#include "evently/server.hpp"

#include <fcgiapp.h>
#include <sodium.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "evently/auth.hpp"
#include "evently/config.hpp"
#include "evently/metrics.hpp"

namespace evently {
namespace {

constexpr size_t kMaxBody = 1024 * 1024;

// SIGTERM while idle exits at once; while a request is in flight, after it.
volatile sig_atomic_t g_busy = 0;
volatile sig_atomic_t g_stop = 0;

void on_terminate(int) {
  if (g_busy == 0) _exit(0);
  g_stop = 1;
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_terminate;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);  // multiwatch's default "graceful" signal
  std::signal(SIGPIPE, SIG_IGN);
}

std::string param(const FCGX_Request& raw, const char* name) {
  const char* v = FCGX_GetParam(name, raw.envp);
  return v != nullptr ? v : "";
}

bool is_json_media_type(const std::string& content_type) {
  const std::string type = content_type.substr(0, content_type.find(';'));
  std::string trimmed;
  for (const char c : type)
    if (c != ' ' && c != '\t') trimmed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return trimmed == "application/json";
}

// Copies what the handler needs out of libfcgi's buffers, reading the body
// with a hard bound.
void read_request(FCGX_Request& raw, bool json_body, Request& req) {
  req.method = param(raw, "REQUEST_METHOD");
  req.path = param(raw, "DOCUMENT_URI");
  req.path_id = param(raw, "EVENTLY_PATH_ID");
  req.content_type = param(raw, "CONTENT_TYPE");
  req.authorization = param(raw, "HTTP_AUTHORIZATION");
  req.if_none_match = param(raw, "HTTP_IF_NONE_MATCH");
  req.accept_encoding = param(raw, "HTTP_ACCEPT_ENCODING");
  if (const char* key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", raw.envp)) req.idempotency_key = key;
  req.admission_token = param(raw, "HTTP_ADMISSION_TOKEN");
  req.request_id = param(raw, "HTTP_X_REQUEST_ID").substr(0, 64);
  req.query = parse_query(param(raw, "QUERY_STRING"));
  if (!json_body) return;

  if (std::strtoull(param(raw, "CONTENT_LENGTH").c_str(), nullptr, 10) > kMaxBody)
    throw ApiError(413, "payload_too_large", "The request body is larger than 1 MiB");
  char buf[16384];
  for (int n; (n = FCGX_GetStr(buf, sizeof buf, raw.in)) > 0;) {
    req.body.append(buf, static_cast<size_t>(n));
    if (req.body.size() > kMaxBody)
      throw ApiError(413, "payload_too_large", "The request body is larger than 1 MiB");
  }
  if (!is_json_media_type(req.content_type))
    throw ApiError(415, "unsupported_media_type", "The request body must be application/json");
}

Response problem(const ApiError& e) {
  Response res = Response::json(e.status, e.body());
  res.content_type = "application/problem+json";
  res.headers = e.headers;
  return res;
}

// Writes all of iov[0..n) to fd, or gives up when the peer has gone.
bool write_all(int fd, iovec* iov, int n) {
  while (n > 0) {
    const ssize_t wrote = ::writev(fd, iov, n);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    auto left = static_cast<size_t>(wrote);
    for (; n > 0 && left >= iov->iov_len; ++iov, --n) left -= iov->iov_len;
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

// A large body (a seat map) goes out in FastCGI stdout records of 64 KiB
// written straight to the connection, after what libfcgi holds: libfcgi
// would cut it into 8 KiB records, a write and a wake-up of nginx each.
void write_body(FCGX_Request& raw, const std::string& body) {
  constexpr size_t kDirect = 32 * 1024;
  constexpr size_t kRecord = 65528;  // the most a record holds, in whole 8-byte units
  if (body.size() < kDirect || raw.ipcFd < 0) {
    if (!body.empty()) FCGX_PutStr(body.data(), static_cast<int>(body.size()), raw.out);
    return;
  }
  if (FCGX_FFlush(raw.out) != 0) return;
  for (size_t at = 0; at < body.size(); at += kRecord) {
    const size_t len = std::min(kRecord, body.size() - at);
    unsigned char header[8] = {1, 6,  // version 1, FCGI_STDOUT
                               static_cast<unsigned char>(raw.requestId >> 8),
                               static_cast<unsigned char>(raw.requestId & 0xff),
                               static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len & 0xff),
                               0, 0};
    iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(body.data() + at), len}};
    if (!write_all(raw.ipcFd, iov, 2)) return;
  }
}

void write_response(FCGX_Request& raw, const Response& res) {
  std::string head = "Status: " + std::to_string(res.status) + " " + status_text(res.status) + "\r\n";
  if (!res.content_type.empty()) head += "Content-Type: " + res.content_type + "\r\n";
  for (const auto& [name, value] : res.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), raw.out);
  write_body(raw, res.content());
}

// One line per request: time, function, method, path, status, duration and
// nginx's request id. No query strings, headers or bodies: they may carry
// secrets.
void log_request(const Request& req, int status, std::chrono::steady_clock::duration took) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char line[512];
  const int n = std::snprintf(
      line, sizeof line, "%s.%03ldZ %s[%d] %s %.200s %d %.3fms %.64s\n", stamp,
      now.tv_nsec / 1000000, config().function_name.c_str(), static_cast<int>(getpid()),
      req.method.c_str(), req.path.c_str(), status,
      std::chrono::duration<double, std::milli>(took).count(),
      req.request_id.empty() ? "-" : req.request_id.c_str());
  if (n > 0) {
    [[maybe_unused]] const auto written =
        ::write(STDERR_FILENO, line, std::min(static_cast<size_t>(n), sizeof line - 1));
  }
}

void log_error(const char* what) {
  std::fprintf(stderr, "%s[%d] error: %s\n", config().function_name.c_str(),
               static_cast<int>(getpid()), what);
}

}  // namespace

int serve(const Function& fn, const Handler& handler) {
  if (sodium_init() < 0) return 1;
  set_function_name(fn.name);
  install_signals();
  if (FCGX_Init() != 0) return 1;
  FCGX_Request raw;
  FCGX_InitRequest(&raw, 0, 0);

  std::vector<Statement> statements = fn.statements;
  statements.push_back(kAuthStatement);
  // Every connection bounds its statements and lock waits (a slow admin
  // write must not pin the booking workers); numbers only, never text.
  const std::string session = "SET statement_timeout = " + std::to_string(config().statement_timeout_ms) +
                              "; SET lock_timeout = " + std::to_string(config().lock_timeout_ms) +
                              "; " + fn.session_sql;
  // Connects on the first request, after the supervisor has forked us.
  const std::string& url = fn.stale_reads_ok && !config().database_read_url.empty()
                               ? config().database_read_url
                               : config().database_url;
  Db db(url, std::move(statements), session);
  WorkerMetrics metrics(config().metrics_dir, fn.name);
  uint64_t connects = 0;

  while (g_stop == 0 && FCGX_Accept_r(&raw) >= 0) {
    g_busy = 1;
    const auto start = std::chrono::steady_clock::now();
    Request req;
    Response res;
    try {
      read_request(raw, fn.json_body, req);
      res = handler(req, db);
    } catch (const ApiError& e) {
      res = problem(e);
    } catch (const pqxx::broken_connection&) {
      db.reset();
      res = problem(service_unavailable());
    } catch (const pqxx::sql_error& e) {
      if (Db::is_timeout(e)) {
        res = problem(service_unavailable());
      } else {
        log_error(e.what());
        res = problem(ApiError(500, "internal_error", "Something went wrong on our side"));
      }
    } catch (const std::exception& e) {
      log_error(e.what());
      res = problem(ApiError(500, "internal_error", "Something went wrong on our side"));
    }
    write_response(raw, res);
    FCGX_Finish_r(&raw);
    const auto took = std::chrono::steady_clock::now() - start;
    log_request(req, res.status, took);
    metrics.request(res.status, std::chrono::duration<double>(took).count());
    // Only the database answers 503 here; a 500 may be it too, but is logged.
    if (res.status == 503) metrics.db_error();
    for (; connects < db.connects(); ++connects)
      if (connects > 0) metrics.db_reconnect();
    g_busy = 0;
  }
  return 0;
}

}  // namespace evently
