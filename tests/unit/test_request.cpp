#include "evently/request.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "evently/errors.hpp"

namespace evently {
namespace {

using Query = std::map<std::string, std::string>;

TEST(ParseQuery, DecodesPercentEscapesAndPlus) {
  EXPECT_EQ(parse_query("q=rock+%26+roll&city=K%C3%B6ln&pct=100%25"),
            (Query{{"q", "rock & roll"}, {"city", "Köln"}, {"pct", "100%"}}));
  EXPECT_EQ(parse_query("a=%2b%2B"), (Query{{"a", "++"}}));
}

TEST(ParseQuery, DecodesKeysToo) {
  EXPECT_EQ(parse_query("%6Cimit=5&sort+by=date"), (Query{{"limit", "5"}, {"sort by", "date"}}));
}

TEST(ParseQuery, KeepsTheFirstValue) {
  EXPECT_EQ(parse_query("limit=1&limit=2&limit=3"), (Query{{"limit", "1"}}));
  EXPECT_EQ(parse_query("l%69mit=1&limit=2"), (Query{{"limit", "1"}}));
}

TEST(ParseQuery, KeepsEverythingAfterTheFirstEquals) {
  EXPECT_EQ(parse_query("cursor=abc=="), (Query{{"cursor", "abc=="}}));
}

TEST(ParseQuery, ReadsBareKeysAndSkipsEmptyPairs) {
  EXPECT_EQ(parse_query(""), Query{});
  EXPECT_EQ(parse_query("&&flag&&x=&"), (Query{{"flag", ""}, {"x", ""}}));
}

TEST(ParseQuery, LeavesMalformedEscapesAsTheyAre) {
  EXPECT_EQ(parse_query("a=%zz&b=%4&c=100%&d=%%41"),
            (Query{{"a", "%zz"}, {"b", "%4"}, {"c", "100%"}, {"d", "%A"}}));
}

TEST(RequestParam, GivesAValueOrNothing) {
  Request req;
  req.query = parse_query("limit=5&empty=");
  EXPECT_EQ(req.param("limit"), "5");
  EXPECT_EQ(req.param("empty"), "");
  EXPECT_EQ(req.param("cursor"), std::nullopt);
}

TEST(EtagMatches, MatchesTheSameTag) {
  EXPECT_TRUE(etag_matches("\"v1\"", "\"v1\""));
  EXPECT_FALSE(etag_matches("\"v2\"", "\"v1\""));
  EXPECT_FALSE(etag_matches("\"v1\"", "\"v10\""));
}

TEST(EtagMatches, MatchesAnyTagForAStar) {
  EXPECT_TRUE(etag_matches("*", "\"v1\""));
  EXPECT_TRUE(etag_matches(" * ", "W/\"v1\""));
}

TEST(EtagMatches, LooksThroughAList) {
  EXPECT_TRUE(etag_matches("\"a\", \"v1\" ,\"b\"", "\"v1\""));
  EXPECT_TRUE(etag_matches("\"a\",\t\"v1\"", "\"v1\""));
  EXPECT_FALSE(etag_matches("\"a\", \"b\"", "\"v1\""));
}

TEST(EtagMatches, ComparesWeakly) {
  EXPECT_TRUE(etag_matches("W/\"v1\"", "\"v1\""));
  EXPECT_TRUE(etag_matches("\"v1\"", "W/\"v1\""));
  EXPECT_TRUE(etag_matches("\"a\", W/\"v1\"", "W/\"v1\""));
}

TEST(EtagMatches, MatchesNothingWhenEmpty) {
  EXPECT_FALSE(etag_matches("", "\"v1\""));
  EXPECT_FALSE(etag_matches(" , ,", "\"v1\""));
  EXPECT_FALSE(etag_matches("W/", "\"v1\""));
}

int64_t id_of(const std::string& raw) {
  Request req;
  req.path_id = raw;
  return path_id(req, "event_not_found", "Event not found");
}

TEST(PathId, AcceptsOneToTwoToTheFiftyThreeMinusOne) {
  EXPECT_EQ(id_of("1"), 1);
  EXPECT_EQ(id_of("42"), 42);
  EXPECT_EQ(id_of("9007199254740991"), 9007199254740991);
}

TEST(PathId, ThrowsTheGivenNotFoundOtherwise) {
  for (const char* raw : {"0", "-1", "abc", "1.5", "+1", "", "9007199254740992", " 1", "1 ",
                          "0x10", "1e3", "99999999999999999999", "-0"}) {
    SCOPED_TRACE(raw);
    try {
      id_of(raw);
      ADD_FAILURE() << "accepted";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 404);
      EXPECT_EQ(e.code, "event_not_found");
      EXPECT_EQ(e.detail, "Event not found");
    }
  }
}

TEST(Response, BuildsJsonAndNoContentResponses) {
  Response r = Response::json(201, "{}");
  r.header("Location", "/events/1").header("ETag", "\"1\"");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{}");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].first, "ETag");

  const Response empty = Response::no_content();
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.content_type, "");
  EXPECT_EQ(empty.body, "");
}

}  // namespace
}  // namespace evently
