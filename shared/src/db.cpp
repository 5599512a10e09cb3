#include "evently/db.hpp"

#include <poll.h>

#include <cstring>

namespace evently {

Db::Db(std::string url, std::vector<Statement> statements, std::string session_sql)
    : url_(std::move(url)), statements_(std::move(statements)), session_sql_(std::move(session_sql)) {}

namespace {

// An idle connection has nothing to read unless the server has hung up on it
// (a restart, a failover, an idle timeout). Seen before anything is sent,
// even a write can go to a fresh connection instead of failing with 503.
// No round trip: a poll that does not wait.
bool server_hung_up(int sock) {
  pollfd p{sock, POLLIN, 0};
  return sock < 0 || ::poll(&p, 1, 0) != 0;
}

}  // namespace

pqxx::connection& Db::connection() {
  if (conn_ && server_hung_up(conn_->sock())) conn_.reset();
  if (!conn_) {
    auto c = std::make_unique<pqxx::connection>(url_);
    // Declared once per connection; libpqxx prepares each on first use.
    for (const auto& s : statements_) c->prepare(s.name, s.sql);
    if (!session_sql_.empty()) pqxx::nontransaction(*c).exec(session_sql_);
    conn_ = std::move(c);
    ++connects_;
  }
  return *conn_;
}

void Db::reset() { conn_.reset(); }

bool Db::is_read_only(const char* name) const {
  for (const auto& s : statements_)
    if (std::strcmp(s.name, name) == 0) return s.read_only;
  return false;
}

bool Db::is_connection_loss(const pqxx::sql_error& e) {
  // Class 08: connection exception; 57P01..57P03: the server is shutting down
  // or starting; 25006: a write reached a server that has become read-only
  // (a primary being demoted in a failover): a fresh connection finds the
  // new primary (target_session_attrs=read-write).
  const std::string& state = e.sqlstate();
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "25006";
}

bool Db::is_timeout(const pqxx::sql_error& e) {
  return e.sqlstate() == "57014" || e.sqlstate() == "55P03";
}

bool Db::is_transient(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state == "40001" || state == "40P01" || is_connection_loss(e);
}

std::string pg_array(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

}  // namespace evently
