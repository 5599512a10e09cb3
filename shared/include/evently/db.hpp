#pragma once
/// The worker's database session: one persistent connection, statements
/// prepared once per connection, reconnect after a failure, 503 while the
/// database cannot be reached.

#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evently/errors.hpp"

namespace evently {

/// A named statement with bound parameters. `read_only` statements are
/// retried once on a fresh connection when a reused one turns out broken.
struct Statement {
  const char* name;
  const char* sql;
  bool read_only = false;
};

class Db {
 public:
  /// `session_sql`, when given, runs once on every new connection (e.g. a SET).
  Db(std::string url, std::vector<Statement> statements, std::string session_sql = {});

  /// Runs one prepared statement in its own implicit transaction: one round trip.
  template <typename... Args>
  pqxx::result exec(const char* name, Args&&... args) {
    return run(name, [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      // Not forwarded: a retry on a fresh connection needs the arguments
      // again, and libpqxx would move from an rvalue std::string.
      return tx.exec_prepared(name, std::as_const(args)...);
    });
  }

  /// Drops the connection; the next statement opens a new one.
  void reset();

  /// Connections opened so far (the first, then every reconnect).
  [[nodiscard]] uint64_t connects() const { return connects_; }

  /// A statement cancelled by statement_timeout or a lock wait ended by
  /// lock_timeout: the contract's 503, like an unreachable database.
  static bool is_timeout(const pqxx::sql_error& e);

 private:
  template <typename F>
  pqxx::result run(const char* name, F&& body) {
    for (int attempt = 0;; ++attempt) {
      const bool reused = conn_ != nullptr;
      try {
        return body(connection());
      } catch (const pqxx::broken_connection&) {
        reset();
        if (!(reused && attempt == 0 && is_read_only(name))) throw service_unavailable();
      } catch (const pqxx::transaction_rollback&) {
        // A deadlock or serialization failure (libpqxx 6 throws these apart
        // from sql_error): the statement's transaction was rolled back whole,
        // so it is run again.
        if (attempt >= 4) throw service_unavailable();
      } catch (const pqxx::sql_error& e) {
        if (!is_transient(e)) throw;
        if (is_connection_loss(e)) reset();
        if (attempt >= 4 || (is_connection_loss(e) && !is_read_only(name)))
          throw service_unavailable();
      }
    }
  }

  pqxx::connection& connection();
  bool is_read_only(const char* name) const;
  /// Deadlock, serialization failure, or the server going away.
  static bool is_transient(const pqxx::sql_error& e);
  static bool is_connection_loss(const pqxx::sql_error& e);

  std::string url_;
  std::vector<Statement> statements_;
  std::string session_sql_;
  std::unique_ptr<pqxx::connection> conn_;
  uint64_t connects_ = 0;
};

/// A nullable text parameter: NULL when absent.
inline const char* or_null(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

/// A bigint[] parameter in PostgreSQL's array text form: {1,2,3}.
std::string pg_array(const std::vector<int64_t>& values);

}  // namespace evently
