// load_driver: N clients race each other against one HTTP server.
//
//   load_driver [-o OUT] [-t SECONDS] HOST:PORT [REQUESTS]
//
// REQUESTS (a file, or stdin) has one request a line:
//   CLIENT METHOD PATH TOKEN KEY [BODY]
// CLIENT is any non-negative integer: each distinct one is a thread with its
// own keep-alive connection, sending its lines in file order. TOKEN becomes
// `Authorization: Bearer TOKEN`, KEY `Idempotency-Key: KEY`; `-` omits
// either. BODY, the rest of the line, is sent as application/json.
// Blank lines and lines starting with # are skipped.
//
// Every client connects first, then all start together (a start barrier),
// so that their first requests really race. The output (OUT, or stdout) has
// one line a request, ordered by client and index:
//   CLIENT <TAB> INDEX <TAB> STATUS <TAB> BODY
// BODY with any CR, LF or TAB turned into a space. A request that got no
// HTTP answer (refused, reset, timed out) has STATUS 0 and a JSON body
// {"driver_error": "..."}; the client then reconnects for its next request.
// Exits 0 when every line was sent, whatever the answers.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Request {
  std::string method, path, token, key, body;
};

struct Result {
  int status = 0;
  std::string body;
};

struct Client {
  long id = 0;
  std::vector<Request> requests;
  std::vector<Result> results;
};

// A transport failure: no usable HTTP answer on this connection.
struct TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One owner per socket.
class Connection {
public:
  Connection(const addrinfo &addr, int timeout_seconds) {
    fd_ = ::socket(addr.ai_family, addr.ai_socktype, addr.ai_protocol);
    if (fd_ < 0)
      throw TransportError(std::string("socket: ") + std::strerror(errno));
    timeval tv{.tv_sec = timeout_seconds, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, addr.ai_addr, addr.ai_addrlen) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw TransportError("connect: " + why);
    }
  }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection() { ::close(fd_); }

  void send_all(const std::string &data) {
    for (size_t off = 0; off < data.size();) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw TransportError(std::string("send: ") + std::strerror(errno));
      off += static_cast<size_t>(n);
    }
  }

  // One line without its CRLF.
  std::string read_line() {
    for (;;) {
      const size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        std::string line = buf_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return line;
      }
      if (!fill())
        throw TransportError("connection closed mid-response");
    }
  }

  std::string read_exactly(size_t n) {
    while (buf_.size() - pos_ < n)
      if (!fill())
        throw TransportError("connection closed mid-body");
    std::string out = buf_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string read_to_end() {
    while (fill()) {
    }
    std::string out = buf_.substr(pos_);
    pos_ = buf_.size();
    return out;
  }

private:
  bool fill() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        throw TransportError("timed out");
      if (n < 0)
        throw TransportError(std::string("recv: ") + std::strerror(errno));
      if (n == 0)
        return false;
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

std::string render(const Request &r, const std::string &host) {
  std::string out = r.method + " " + r.path + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!r.token.empty())
    out += "Authorization: Bearer " + r.token + "\r\n";
  if (!r.key.empty())
    out += "Idempotency-Key: " + r.key + "\r\n";
  if (!r.body.empty())
    out += "Content-Type: application/json\r\n";
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH")
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  return out + "\r\n" + r.body;
}

// Reads one response; sets keep_alive to whether the connection may be reused.
Result read_response(Connection &c, const std::string &method, bool &keep_alive) {
  const std::string status_line = c.read_line();
  Result res;
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
    throw TransportError("malformed status line");
  res.status = std::atoi(status_line.c_str() + 9);
  keep_alive = status_line.rfind("HTTP/1.1", 0) == 0;
  long long length = -1;
  bool chunked = false;
  for (std::string line; !(line = c.read_line()).empty();) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    const std::string name = lower(line.substr(0, colon));
    std::string value = lower(line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(" \t"));
    if (name == "content-length")
      length = std::atoll(value.c_str());
    if (name == "transfer-encoding")
      chunked = value.find("chunked") != std::string::npos;
    if (name == "connection")
      keep_alive = value.find("close") == std::string::npos;
  }
  if (method == "HEAD" || res.status == 204 || res.status == 304 || res.status < 200)
    return res;
  if (chunked) {
    for (;;) {
      const size_t size = std::strtoul(c.read_line().c_str(), nullptr, 16);
      if (size == 0) {
        while (!c.read_line().empty()) { // trailers
        }
        break;
      }
      res.body += c.read_exactly(size);
      c.read_line();
    }
  } else if (length >= 0) {
    res.body = c.read_exactly(static_cast<size_t>(length));
  } else {
    res.body = c.read_to_end();
    keep_alive = false;
  }
  return res;
}

std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\t'; }, ' ');
  return s;
}

void run_client(Client &client, const addrinfo &addr, const std::string &host, int timeout,
                std::latch &start) {
  // Connect before the barrier, so that the race is between requests; a
  // failed connect is tried again, and reported, with the first request.
  std::unique_ptr<Connection> conn;
  try {
    conn = std::make_unique<Connection>(addr, timeout);
  } catch (const TransportError &) {
  }
  start.arrive_and_wait();
  for (const Request &r : client.requests) {
    Result res;
    try {
      if (!conn)
        conn = std::make_unique<Connection>(addr, timeout);
      conn->send_all(render(r, host));
      bool keep_alive = false;
      res = read_response(*conn, r.method, keep_alive);
      if (!keep_alive)
        conn.reset();
    } catch (const TransportError &e) {
      conn.reset();
      res = {0, std::string("{\"driver_error\":\"") + e.what() + "\"}"};
    }
    client.results.push_back(std::move(res));
  }
}

std::map<long, Client> parse_requests(std::istream &in) {
  std::map<long, Client> clients;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#')
      continue;
    std::istringstream fields(line);
    long id = -1;
    Request r;
    fields >> id >> r.method >> r.path >> r.token >> r.key;
    if (!fields || id < 0)
      throw std::runtime_error("line " + std::to_string(number) +
                               ": want CLIENT METHOD PATH TOKEN KEY [BODY]");
    std::getline(fields >> std::ws, r.body);
    if (r.token == "-")
      r.token.clear();
    if (r.key == "-")
      r.key.clear();
    Client &c = clients[id];
    c.id = id;
    c.requests.push_back(std::move(r));
  }
  return clients;
}

int usage() {
  std::cerr << "usage: load_driver [-o OUT] [-t SECONDS] HOST:PORT [REQUESTS]\n";
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string out_path, target, in_path;
  int timeout = 120;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-o" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (arg == "-t" && i + 1 < argc) {
      timeout = std::atoi(argv[++i]);
    } else if (target.empty()) {
      target = arg;
    } else if (in_path.empty()) {
      in_path = arg;
    } else {
      return usage();
    }
  }
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos || timeout <= 0)
    return usage();

  std::map<long, Client> clients;
  try {
    if (in_path.empty() || in_path == "-") {
      clients = parse_requests(std::cin);
    } else {
      std::ifstream in(in_path);
      if (!in)
        throw std::runtime_error("cannot read " + in_path);
      clients = parse_requests(in);
    }
  } catch (const std::exception &e) {
    std::cerr << "load_driver: " << e.what() << "\n";
    return 2;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  const std::string host = target.substr(0, colon), port = target.substr(colon + 1);
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    std::cerr << "load_driver: " << target << ": " << gai_strerror(rc) << "\n";
    return 2;
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addr(found, &::freeaddrinfo);

  std::latch start(static_cast<std::ptrdiff_t>(clients.size()));
  std::vector<std::thread> threads;
  threads.reserve(clients.size());
  for (auto &[id, client] : clients)
    threads.emplace_back(run_client, std::ref(client), std::cref(*addr), std::cref(target), timeout,
                         std::ref(start));
  for (std::thread &t : threads)
    t.join();

  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path);
    if (!file) {
      std::cerr << "load_driver: cannot write " << out_path << "\n";
      return 2;
    }
  }
  std::ostream &out = out_path.empty() ? std::cout : file;
  for (const auto &[id, client] : clients)
    for (size_t i = 0; i < client.results.size(); ++i)
      out << id << '\t' << i << '\t' << client.results[i].status << '\t'
          << one_line(client.results[i].body) << '\n';
  out.flush();
  return out ? 0 : 1;
}
