#pragma once
/// The request as a handler sees it, and the response it returns.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evently {

struct Request {
  std::string method;
  std::string path;
  std::string path_id;          ///< {id} in the route, passed by nginx
  std::string content_type;
  std::string authorization;
  std::string if_none_match;
  std::string accept_encoding;
  std::optional<std::string> idempotency_key;
  std::string admission_token;  ///< Admission-Token, for gated on-sales
  std::string request_id;       ///< nginx's $request_id, for the log
  std::string body;
  std::map<std::string, std::string> query;  ///< decoded; first value wins

  /// A query parameter, or nothing when absent; 400 validation_failed when
  /// it is not UTF-8 text.
  [[nodiscard]] std::optional<std::string> param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// A body kept elsewhere (a cached answer), sent in place of `body` with
  /// no copy made.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// What is sent: the shared body if there is one, else `body`.
  [[nodiscard]] const std::string& content() const { return shared_body ? *shared_body : body; }

  static Response json(int status, std::string body);
  static Response no_content();
  Response& header(std::string name, std::string value);
};

/// Whether an If-None-Match header names `etag` (weak comparison; `*` matches).
bool etag_matches(const std::string& if_none_match, const std::string& etag);

/// Decodes an application/x-www-form-urlencoded query string.
std::map<std::string, std::string> parse_query(const std::string& query);

/// The route's {id} as a positive integer of at most 2^53-1; anything else
/// is the resource's 404.
int64_t path_id(const Request& req, const char* not_found_code, const char* not_found_detail);

}  // namespace evently
