#pragma once
/// Errors as the contract's problem+json documents (RFC 9457).

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace evently {

/// One entry of a 400 validation_failed `errors` array.
struct FieldError {
  std::string field;
  std::string message;
};

/// An error the client is told about: thrown anywhere below a handler and
/// rendered once by the request loop.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string detail);

  int status;
  std::string code;
  std::string detail;
  std::vector<FieldError> errors;
  std::vector<std::pair<std::string, std::string>> headers;

  /// The problem document as JSON text.
  [[nodiscard]] std::string body() const;
};

/// The standard reason phrase of an HTTP status ("Not Found").
const char* status_text(int status);

/// A problem document as JSON text.
std::string problem_json(int status, const std::string& code, const std::string& detail,
                         const std::vector<FieldError>& errors = {});

/// 400 validation_failed naming the offending fields.
ApiError validation_failed(std::vector<FieldError> errors);

/// 401 unauthorized with WWW-Authenticate: Bearer.
ApiError unauthorized(const std::string& detail);

/// 429 rate_limited with Retry-After (seconds).
ApiError rate_limited(long retry_after_seconds, const std::string& detail);

/// 503 service_unavailable: the database cannot be reached.
ApiError service_unavailable();

}  // namespace evently
