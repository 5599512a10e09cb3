#include "evently/errors.hpp"

#include "evently/json.hpp"

namespace evently {

ApiError::ApiError(int status_, std::string code_, std::string detail_)
    : std::runtime_error(code_), status(status_), code(std::move(code_)), detail(std::move(detail_)) {}

std::string ApiError::body() const { return problem_json(status, code, detail, errors); }

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

std::string problem_json(int status, const std::string& code, const std::string& detail,
                         const std::vector<FieldError>& errors) {
  Json doc = json_object();
  cJSON_AddStringToObject(doc.get(), "type", "about:blank");
  cJSON_AddStringToObject(doc.get(), "title", status_text(status));
  cJSON_AddNumberToObject(doc.get(), "status", status);
  cJSON_AddStringToObject(doc.get(), "code", code.c_str());
  cJSON_AddStringToObject(doc.get(), "detail", detail.c_str());
  if (!errors.empty()) {
    cJSON* list = cJSON_AddArrayToObject(doc.get(), "errors");
    for (const auto& e : errors) {
      cJSON* item = cJSON_CreateObject();
      cJSON_AddStringToObject(item, "field", e.field.c_str());
      cJSON_AddStringToObject(item, "message", e.message.c_str());
      cJSON_AddItemToArray(list, item);
    }
  }
  return to_string(doc.get());
}

ApiError validation_failed(std::vector<FieldError> errors) {
  std::string detail = "Invalid request";
  if (!errors.empty()) detail = errors.front().field + ": " + errors.front().message;
  ApiError err(400, "validation_failed", detail);
  err.errors = std::move(errors);
  return err;
}

ApiError unauthorized(const std::string& detail) {
  ApiError err(401, "unauthorized", detail);
  err.headers.emplace_back("WWW-Authenticate", "Bearer");
  return err;
}

ApiError rate_limited(long retry_after_seconds, const std::string& detail) {
  ApiError err(429, "rate_limited", detail);
  err.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return err;
}

ApiError service_unavailable() {
  ApiError err(503, "service_unavailable", "The database is unavailable; try again shortly");
  err.headers.emplace_back("Retry-After", "1");
  return err;
}

}  // namespace evently
