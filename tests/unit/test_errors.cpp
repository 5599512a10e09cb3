#include "evently/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "evently/json.hpp"

namespace evently {
namespace {

const cJSON* field(const Json& doc, const char* key) {
  return cJSON_GetObjectItemCaseSensitive(doc.get(), key);
}

TEST(ProblemJson, HasTheContractShape) {
  const Json doc = parse_json(problem_json(404, "event_not_found", "Event not found"));
  ASSERT_TRUE(cJSON_IsObject(doc.get()));
  EXPECT_EQ(cJSON_GetArraySize(doc.get()), 5);
  EXPECT_STREQ(field(doc, "type")->valuestring, "about:blank");
  EXPECT_STREQ(field(doc, "title")->valuestring, "Not Found");
  ASSERT_TRUE(cJSON_IsNumber(field(doc, "status")));
  EXPECT_EQ(field(doc, "status")->valueint, 404);
  EXPECT_STREQ(field(doc, "code")->valuestring, "event_not_found");
  EXPECT_STREQ(field(doc, "detail")->valuestring, "Event not found");
  EXPECT_EQ(field(doc, "errors"), nullptr);
}

TEST(ProblemJson, ListsFieldErrors) {
  const Json doc = parse_json(problem_json(
      400, "validation_failed", "name: is required",
      {{"name", "is required"}, {"sections[0].rows", "must be 1..500"}}));
  const cJSON* errors = field(doc, "errors");
  ASSERT_TRUE(cJSON_IsArray(errors));
  ASSERT_EQ(cJSON_GetArraySize(errors), 2);
  const cJSON* second = cJSON_GetArrayItem(errors, 1);
  EXPECT_EQ(cJSON_GetArraySize(second), 2);
  EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(second, "field")->valuestring, "sections[0].rows");
  EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(second, "message")->valuestring, "must be 1..500");
}

TEST(ProblemJson, EscapesTheDetail) {
  const std::string detail = "a \"quoted\" \\ detail\n";
  const Json doc = parse_json(problem_json(409, "conflict", detail));
  EXPECT_EQ(field(doc, "detail")->valuestring, detail);
  EXPECT_STREQ(field(doc, "title")->valuestring, "Conflict");
}

TEST(StatusText, NamesTheStatus) {
  EXPECT_STREQ(status_text(200), "OK");
  EXPECT_STREQ(status_text(201), "Created");
  EXPECT_STREQ(status_text(204), "No Content");
  EXPECT_STREQ(status_text(304), "Not Modified");
  EXPECT_STREQ(status_text(400), "Bad Request");
  EXPECT_STREQ(status_text(401), "Unauthorized");
  EXPECT_STREQ(status_text(403), "Forbidden");
  EXPECT_STREQ(status_text(404), "Not Found");
  EXPECT_STREQ(status_text(405), "Method Not Allowed");
  EXPECT_STREQ(status_text(409), "Conflict");
  EXPECT_STREQ(status_text(413), "Content Too Large");
  EXPECT_STREQ(status_text(415), "Unsupported Media Type");
  EXPECT_STREQ(status_text(422), "Unprocessable Content");
  EXPECT_STREQ(status_text(429), "Too Many Requests");
  EXPECT_STREQ(status_text(500), "Internal Server Error");
  EXPECT_STREQ(status_text(503), "Service Unavailable");
}

TEST(ApiError, CarriesStatusCodeAndDetail) {
  const ApiError e(409, "seat_taken", "Seat 4 is already booked");
  EXPECT_EQ(e.status, 409);
  EXPECT_EQ(e.code, "seat_taken");
  EXPECT_EQ(e.detail, "Seat 4 is already booked");
  EXPECT_STREQ(e.what(), "seat_taken");
  EXPECT_TRUE(e.errors.empty());
  EXPECT_TRUE(e.headers.empty());
  EXPECT_EQ(e.body(), problem_json(409, "seat_taken", "Seat 4 is already booked"));
}

TEST(ValidationFailed, Is400NamingTheFirstProblemInTheDetail) {
  const ApiError e = validation_failed({{"email", "is required"}, {"password", "is required"}});
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "validation_failed");
  EXPECT_EQ(e.detail, "email: is required");
  ASSERT_EQ(e.errors.size(), 2u);
  EXPECT_EQ(e.errors[1].field, "password");
  const Json doc = parse_json(e.body());
  EXPECT_EQ(cJSON_GetArraySize(field(doc, "errors")), 2);
  EXPECT_STREQ(field(doc, "title")->valuestring, "Bad Request");
}

TEST(ValidationFailed, HasAGenericDetailWithoutErrors) {
  const ApiError e = validation_failed({});
  EXPECT_EQ(e.detail, "Invalid request");
  EXPECT_EQ(field(parse_json(e.body()), "errors"), nullptr);
}

TEST(Unauthorized, AsksForABearerToken) {
  const ApiError e = unauthorized("A bearer token is required");
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.code, "unauthorized");
  EXPECT_EQ(e.detail, "A bearer token is required");
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0], std::make_pair(std::string("WWW-Authenticate"), std::string("Bearer")));
  EXPECT_STREQ(field(parse_json(e.body()), "title")->valuestring, "Unauthorized");
}

TEST(ServiceUnavailable, AsksTheClientToRetry) {
  const ApiError e = service_unavailable();
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.code, "service_unavailable");
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0].first, "Retry-After");
}

}  // namespace
}  // namespace evently
