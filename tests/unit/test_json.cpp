#include "evently/json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "evently/errors.hpp"

namespace evently {
namespace {

// The ApiError parse_json throws for `text`; a test failure when it throws none.
ApiError parse_error(std::string_view text) {
  try {
    parse_json(text);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "parse_json accepted: " << text;
  return ApiError(0, "", "");
}

TEST(ParseJson, ReadsAnObject) {
  const Json doc = parse_json(R"({"name":"Gala","seats":[1,2,3],"open":true})");
  ASSERT_TRUE(cJSON_IsObject(doc.get()));
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(doc.get(), "name");
  ASSERT_TRUE(cJSON_IsString(name));
  EXPECT_STREQ(name->valuestring, "Gala");
  EXPECT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc.get(), "seats")), 3);
  EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc.get(), "open")));
}

TEST(ParseJson, AcceptsScalarsAndSurroundingWhiteSpace) {
  EXPECT_TRUE(cJSON_IsArray(parse_json(" \t\r\n[1] \t\r\n").get()));
  EXPECT_TRUE(cJSON_IsNull(parse_json("null").get()));
  EXPECT_TRUE(cJSON_IsString(parse_json("\"x\"").get()));
  EXPECT_TRUE(cJSON_IsNumber(parse_json("0").get()));
}

TEST(ParseJson, ReadsOnlyTheGivenLength) {
  const std::string_view text("[1]garbage", 3);
  EXPECT_TRUE(cJSON_IsArray(parse_json(text).get()));
}

TEST(ParseJson, RejectsInvalidTextAs400InvalidJson) {
  for (const char* text : {"", " ", "{", "}", "{\"a\":}", "{\"a\" 1}", "[1,]", "{'a':1}",
                           "{a:1}", "nul", "tru", "\"unterminated", "[1 2]"}) {
    SCOPED_TRACE(text);
    const ApiError e = parse_error(text);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "invalid_json");
  }
}

TEST(ParseJson, RejectsTrailingGarbage) {
  using namespace std::string_view_literals;
  for (const std::string_view text :
       {"{} x"sv, "{}{}"sv, "[1]]"sv, "1 2"sv, "\"a\"b"sv, "{}\0"sv, "null,"sv}) {
    SCOPED_TRACE(std::string(text));
    const ApiError e = parse_error(text);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "invalid_json");
  }
}

TEST(Quote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(quote(""), R"("")");
  EXPECT_EQ(quote("plain"), R"("plain")");
  EXPECT_EQ(quote("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(quote("a\\b"), R"("a\\b")");
  EXPECT_EQ(quote("line\nbreak\ttab"), R"("line\nbreak\ttab")");
  EXPECT_EQ(quote("\x01"), R"("\u0001")");
}

TEST(Quote, LeavesUtf8TextAlone) { EXPECT_EQ(quote("Café 日本"), "\"Café 日本\""); }

TEST(Quote, RoundTripsThroughParseJson) {
  for (const char* text : {"", "a\"b", "\\\"", "</script>", "tab\there", "Köln 😀", "\x1f"}) {
    SCOPED_TRACE(text);
    const Json doc = parse_json(quote(text));
    ASSERT_TRUE(cJSON_IsString(doc.get()));
    EXPECT_STREQ(doc->valuestring, text);
  }
}

TEST(ToString, PrintsCompactJson) {
  Json doc = json_object();
  cJSON_AddStringToObject(doc.get(), "a", "x");
  cJSON_AddNumberToObject(doc.get(), "n", 5);
  cJSON* list = cJSON_AddArrayToObject(doc.get(), "list");
  cJSON_AddItemToArray(list, cJSON_CreateNumber(1));
  cJSON_AddItemToArray(list, cJSON_CreateNull());
  EXPECT_EQ(to_string(doc.get()), R"({"a":"x","n":5,"list":[1,null]})");
}

TEST(ToString, DropsTheWhiteSpaceOfParsedText) {
  const Json doc = parse_json(R"({ "a" : [ 1 , true , null ] ,
                                   "b" : { } })");
  EXPECT_EQ(to_string(doc.get()), R"({"a":[1,true,null],"b":{}})");
}

TEST(ParseJson, RejectsTheNulCharacterInStrings) {
  EXPECT_THROW(parse_json(R"({"name":"a\u0000b"})"), ApiError);
  EXPECT_NO_THROW(parse_json(R"({"name":"a\u0001b"})"));
}

TEST(JsonObject, StartsEmpty) {
  EXPECT_EQ(to_string(json_object().get()), "{}");
  EXPECT_EQ(to_string(json_array().get()), "[]");
}

}  // namespace
}  // namespace evently
