#include "evently/validate.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "evently/json.hpp"
#include "evently/time.hpp"

namespace evently {
namespace {

// The message recorded for `field`, or "" when there is none.
std::string message_for(const Validator& v, const std::string& field) {
  try {
    v.check();
  } catch (const ApiError& e) {
    for (const auto& fe : e.errors)
      if (fe.field == field) return fe.message;
  }
  return "";
}

TEST(Utf8Length, CountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("Café"), 4u);      // é is 2 bytes
  EXPECT_EQ(utf8_length("日本語"), 3u);    // 3 bytes each
  EXPECT_EQ(utf8_length("😀"), 1u);        // 4 bytes
  EXPECT_EQ(utf8_length("a😀b"), 3u);
}

TEST(FieldPath, JoinsPathAndKey) {
  EXPECT_EQ(field_path("", "name"), "name");
  EXPECT_EQ(field_path("sections[0]", "rows"), "sections[0].rows");
  EXPECT_EQ(field_path("a.b", "c"), "a.b.c");
}

TEST(ValidatorString, ReturnsAValueWithinBounds) {
  const Json body = parse_json(R"({"name":"Gala"})");
  Validator v;
  EXPECT_EQ(v.string(body.get(), "", "name", 1, 10), "Gala");
  EXPECT_TRUE(v.ok());
  EXPECT_NO_THROW(v.check());
}

TEST(ValidatorString, CountsLengthInCodePoints) {
  // Nine bytes but three characters.
  const Json body = parse_json(R"({"a":"日本語","b":"日本語x","c":"😀","d":"\ud83d\ude00\ud83d\ude00"})");
  Validator v;
  EXPECT_EQ(v.string(body.get(), "", "a", 3, 3), "日本語");
  EXPECT_EQ(v.string(body.get(), "", "b", 1, 3), "");
  EXPECT_EQ(v.string(body.get(), "", "c", 2, 5), "");
  EXPECT_EQ(v.string(body.get(), "", "d", 2, 2), "😀😀");
  EXPECT_FALSE(v.has("a"));
  EXPECT_TRUE(v.has("b"));
  EXPECT_TRUE(v.has("c"));
  EXPECT_FALSE(v.has("d"));
}

TEST(ValidatorString, RejectsTooShortAndTooLongText) {
  const Json body = parse_json(R"({"short":"a","long":"abcdef","edge_lo":"ab","edge_hi":"abcde"})");
  Validator v;
  v.string(body.get(), "", "short", 2, 5);
  v.string(body.get(), "", "long", 2, 5);
  EXPECT_EQ(v.string(body.get(), "", "edge_lo", 2, 5), "ab");
  EXPECT_EQ(v.string(body.get(), "", "edge_hi", 2, 5), "abcde");
  EXPECT_EQ(message_for(v, "short"), "must be 2..5 characters");
  EXPECT_EQ(message_for(v, "long"), "must be 2..5 characters");
  EXPECT_FALSE(v.has("edge_lo"));
  EXPECT_FALSE(v.has("edge_hi"));
}

TEST(ValidatorString, SaysOnlyTheMaximumWhenEmptyIsAllowed) {
  const Json body = parse_json(R"({"note":"abcdef"})");
  Validator v;
  v.string(body.get(), "", "note", 0, 5);
  EXPECT_EQ(message_for(v, "note"), "must be at most 5 characters");
}

TEST(ValidatorString, RequiresTheKey) {
  const Json body = parse_json(R"({"Name":"case matters"})");
  Validator v;
  EXPECT_EQ(v.string(body.get(), "", "name", 1, 10), "");
  EXPECT_EQ(message_for(v, "name"), "is required");
}

TEST(ValidatorString, RejectsNullAndOtherTypes) {
  const Json body = parse_json(R"({"a":null,"b":5,"c":true,"d":[],"e":{}})");
  Validator v;
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(v.string(body.get(), "", key, 0, 10), "");
    EXPECT_EQ(message_for(v, key), "must be a string");
  }
}

TEST(ValidatorOptionalString, GivesNothingWhenAbsent) {
  const Json body = parse_json("{}");
  Validator v;
  EXPECT_EQ(v.optional_string(body.get(), "", "note", 1, 10), std::nullopt);
  EXPECT_EQ(v.optional_string(body.get(), "", "note", 1, 10, true), std::nullopt);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorOptionalString, TreatsNullAsEmptyOnlyWhenAllowed) {
  const Json body = parse_json(R"({"note":null})");
  Validator allowing;
  EXPECT_EQ(allowing.optional_string(body.get(), "", "note", 1, 10, true), std::string());
  EXPECT_TRUE(allowing.ok());

  Validator refusing;
  EXPECT_EQ(refusing.optional_string(body.get(), "", "note", 1, 10), std::nullopt);
  EXPECT_EQ(message_for(refusing, "note"), "must be a string");
}

TEST(ValidatorOptionalString, ChecksTheLengthWhenPresent) {
  const Json body = parse_json(R"({"ok":"hello","long":"hello world"})");
  Validator v;
  EXPECT_EQ(v.optional_string(body.get(), "", "ok", 1, 5), "hello");
  EXPECT_EQ(v.optional_string(body.get(), "", "long", 1, 5), std::nullopt);
  EXPECT_EQ(message_for(v, "long"), "must be 1..5 characters");
}

TEST(ValidatorInteger, AcceptsIntegersWithinBounds) {
  const Json body = parse_json(R"({"a":1,"b":500,"c":1e2,"d":3.0,"e":-0})");
  Validator v;
  EXPECT_EQ(v.integer(body.get(), "", "a", 1, 500), 1);
  EXPECT_EQ(v.integer(body.get(), "", "b", 1, 500), 500);
  EXPECT_EQ(v.integer(body.get(), "", "c", 1, 500), 100);
  EXPECT_EQ(v.integer(body.get(), "", "d", 1, 500), 3);
  EXPECT_EQ(v.integer(body.get(), "", "e", 0, 500), 0);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorInteger, RejectsNumbersWithAFraction) {
  const Json body = parse_json(R"({"a":1.5,"b":0.1,"c":-2.5,"d":499.999})");
  Validator v;
  for (const char* key : {"a", "b", "c", "d"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(v.integer(body.get(), "", key, -10, 500), 0);
    EXPECT_EQ(message_for(v, key), "must be an integer");
  }
}

TEST(ValidatorInteger, RejectsOtherTypes) {
  const Json body = parse_json(R"({"a":"5","b":true,"c":null,"d":[5]})");
  Validator v;
  for (const char* key : {"a", "b", "c", "d"}) {
    SCOPED_TRACE(key);
    v.integer(body.get(), "", key, 0, 10);
    EXPECT_EQ(message_for(v, key), "must be an integer");
  }
}

TEST(ValidatorInteger, RejectsValuesOutOfBounds) {
  const Json body = parse_json(R"({"low":0,"high":501})");
  Validator v;
  v.integer(body.get(), "", "low", 1, 500);
  v.integer(body.get(), "", "high", 1, 500);
  EXPECT_EQ(message_for(v, "low"), "must be 1..500");
  EXPECT_EQ(message_for(v, "high"), "must be 1..500");
}

TEST(ValidatorInteger, RequiresTheKey) {
  const Json body = parse_json("{}");
  Validator v;
  EXPECT_EQ(v.integer(body.get(), "seats", "rows", 1, 5), 0);
  EXPECT_EQ(message_for(v, "seats.rows"), "is required");
}

TEST(ValidatorInteger, AcceptsUpToTwoToTheFiftyThreeMinusOne) {
  static_assert(kMaxJsonInt == 9007199254740991);
  const Json body = parse_json(R"({"max":9007199254740991,"over":9007199254740992})");
  Validator v;
  EXPECT_EQ(v.integer(body.get(), "", "max", 1, kMaxJsonInt), kMaxJsonInt);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.integer(body.get(), "", "over", 1, kMaxJsonInt), 0);
  EXPECT_EQ(message_for(v, "over"), "must be 1..9007199254740991");
}

TEST(ValidatorIntegerValue, NamesTheFieldItIsGiven) {
  const Json list = parse_json("[3, 2.5]");
  Validator v;
  EXPECT_EQ(v.integer_value(cJSON_GetArrayItem(list.get(), 0), "ids[0]", 1, 9), 3);
  EXPECT_EQ(v.integer_value(cJSON_GetArrayItem(list.get(), 1), "ids[1]", 1, 9), std::nullopt);
  EXPECT_FALSE(v.has("ids[0]"));
  EXPECT_EQ(message_for(v, "ids[1]"), "must be an integer");
}

TEST(ValidatorTime, ReadsAnRfc3339Time) {
  const Json body = parse_json(R"({"starts_at":"2027-03-01T21:30:00+02:00"})");
  Validator v;
  EXPECT_EQ(v.time(body.get(), "", "starts_at"), 1803929400000000);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorTime, RejectsWhatIsNotATimeWithAnOffset) {
  const Json body =
      parse_json(R"({"a":"2027-03-01","b":"2027-03-01T19:30:00","c":"tomorrow","d":5,"e":null})");
  Validator v;
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(v.time(body.get(), "", key), 0);
    EXPECT_EQ(message_for(v, key),
              "must be an RFC 3339 time with an offset, e.g. 2027-03-01T19:30:00Z");
  }
}

TEST(ValidatorTime, RequiresTheKeyUnlessOptional) {
  const Json body = parse_json("{}");
  Validator v;
  EXPECT_EQ(v.optional_time(body.get(), "", "ends_at"), std::nullopt);
  EXPECT_TRUE(v.ok());
  v.time(body.get(), "", "starts_at");
  EXPECT_EQ(message_for(v, "starts_at"), "is required");
}

TEST(ValidatorArray, ReturnsAnArrayWithinBounds) {
  const Json body = parse_json(R"({"sections":[{},{}]})");
  Validator v;
  const cJSON* list = v.array(body.get(), "", "sections", 1, 3);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(cJSON_GetArraySize(list), 2);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorArray, RejectsMissingWrongTypeAndWrongSize) {
  const Json body = parse_json(R"({"obj":{},"empty":[],"big":[1,2,3,4]})");
  Validator v;
  EXPECT_EQ(v.array(body.get(), "", "absent", 1, 3), nullptr);
  EXPECT_EQ(v.array(body.get(), "", "obj", 1, 3), nullptr);
  EXPECT_EQ(v.array(body.get(), "", "empty", 1, 3), nullptr);
  EXPECT_EQ(v.array(body.get(), "", "big", 1, 3), nullptr);
  EXPECT_EQ(message_for(v, "absent"), "is required");
  EXPECT_EQ(message_for(v, "obj"), "must be an array");
  EXPECT_EQ(message_for(v, "empty"), "must have 1..3 items");
  EXPECT_EQ(message_for(v, "big"), "must have 1..3 items");
}

TEST(ValidatorObject, ThrowsUnlessTheBodyIsAnObject) {
  for (const char* text : {"[]", "\"text\"", "1", "null"}) {
    SCOPED_TRACE(text);
    const Json body = parse_json(text);
    Validator v;
    try {
      v.object(body.get());
      ADD_FAILURE() << "no exception";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 400);
      EXPECT_EQ(e.code, "validation_failed");
      ASSERT_EQ(e.errors.size(), 1u);
      EXPECT_EQ(e.errors[0].field, "body");
    }
  }
  const Json object = parse_json("{}");
  Validator v;
  EXPECT_EQ(v.object(object.get()), object.get());
}

TEST(ValidatorQueryInt, FallsBackWhenAbsent) {
  Validator v;
  EXPECT_EQ(v.query_int(std::nullopt, "limit", 1, 100, 20), 20);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorQueryInt, ReadsIntegersWithinBounds) {
  Validator v;
  EXPECT_EQ(v.query_int("1", "limit", 1, 100, 20), 1);
  EXPECT_EQ(v.query_int("100", "limit", 1, 100, 20), 100);
  EXPECT_EQ(v.query_int("-3", "offset", -5, 5, 0), -3);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorQueryInt, RejectsAnythingElse) {
  for (const char* raw :
       {"0", "101", "", "abc", "5x", " 5", "5 ", "+5", "1.5", "1e2", "99999999999999999999"}) {
    SCOPED_TRACE(raw);
    Validator v;
    EXPECT_EQ(v.query_int(std::string(raw), "limit", 1, 100, 20), 20);
    EXPECT_EQ(message_for(v, "limit"), "must be an integer 1..100");
  }
}

TEST(ValidatorQueryTime, ReadsDatesAsStartOrEndOfDay) {
  Validator v;
  EXPECT_EQ(v.query_time(std::nullopt, "from", false), std::nullopt);
  EXPECT_EQ(v.query_time("2027-03-01", "from", false), parse_rfc3339("2027-03-01T00:00:00Z"));
  EXPECT_EQ(v.query_time("2027-03-01", "to", true),
            parse_rfc3339("2027-03-01T23:59:59.999999Z"));
  EXPECT_EQ(v.query_time("2027-03-01T19:30:00Z", "to", true), 1803929400000000);
  EXPECT_TRUE(v.ok());
}

TEST(ValidatorQueryTime, RejectsInvalidTimesAndDates) {
  for (const char* raw : {"2027-02-30", "2027-03-01T19:30:00", "today", ""}) {
    SCOPED_TRACE(raw);
    Validator v;
    EXPECT_EQ(v.query_time(std::string(raw), "from", false), std::nullopt);
    EXPECT_EQ(message_for(v, "from"), "must be an RFC 3339 time or a date (YYYY-MM-DD)");
  }
}

TEST(ValidatorCheck, PassesWhenNothingIsWrong) {
  Validator v;
  EXPECT_TRUE(v.ok());
  EXPECT_NO_THROW(v.check());
}

TEST(ValidatorCheck, ThrowsValidationFailedListingEveryField) {
  const Json body = parse_json(R"({
    "venue": "Hall",
    "sections": [{"name": "Stalls", "rows": 0}, {"name": "", "rows": 5.5}]
  })");
  Validator v;
  v.string(body.get(), "", "name", 1, 200);
  v.string(body.get(), "", "venue", 1, 200);
  const cJSON* sections = v.array(body.get(), "", "sections", 1, 10);
  ASSERT_NE(sections, nullptr);
  int i = 0;
  const cJSON* section = nullptr;
  cJSON_ArrayForEach(section, sections) {
    const std::string path = "sections[" + std::to_string(i++) + "]";
    v.string(section, path, "name", 1, 200);
    v.integer(section, path, "rows", 1, 500);
  }
  // Nothing is thrown until check().
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(v.has("sections[0].rows"));
  EXPECT_FALSE(v.has("sections[0].name"));

  try {
    v.check();
    FAIL() << "check() did not throw";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "validation_failed");
    EXPECT_EQ(e.detail, "name: is required");
    ASSERT_EQ(e.errors.size(), 4u);
    EXPECT_EQ(e.errors[0].field, "name");
    EXPECT_EQ(e.errors[1].field, "sections[0].rows");
    EXPECT_EQ(e.errors[1].message, "must be 1..500");
    EXPECT_EQ(e.errors[2].field, "sections[1].name");
    EXPECT_EQ(e.errors[3].field, "sections[1].rows");
    EXPECT_EQ(e.errors[3].message, "must be an integer");

    const Json problem = parse_json(e.body());
    const cJSON* errors = cJSON_GetObjectItemCaseSensitive(problem.get(), "errors");
    ASSERT_EQ(cJSON_GetArraySize(errors), 4);
    EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errors, 1), "field")
                     ->valuestring,
                 "sections[0].rows");
  }
}

TEST(ValidatorCheck, IncludesErrorsAddedByHand) {
  Validator v;
  v.add("seat_ids", "must not repeat a seat");
  EXPECT_TRUE(v.has("seat_ids"));
  EXPECT_FALSE(v.has("seat"));
  EXPECT_EQ(message_for(v, "seat_ids"), "must not repeat a seat");
}

}  // namespace
}  // namespace evently
