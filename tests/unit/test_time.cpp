#include "evently/time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace evently {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
// 2027-03-01T19:30:00Z
constexpr int64_t kGala = 1'803'929'400 * kSecond;

TEST(ParseRfc3339, ReadsUtcTimes) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00Z"), kGala);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -kSecond);
}

TEST(ParseRfc3339, AppliesOffsets) {
  EXPECT_EQ(parse_rfc3339("2027-03-01T21:30:00+02:00"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T14:00:00-05:30"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-02T05:15:00+09:45"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00+00:00"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00-00:00"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00+23:59"), kGala - (23 * 60 + 59) * 60 * kSecond);
}

TEST(ParseRfc3339, AcceptsLowercaseTAndZ) {
  EXPECT_EQ(parse_rfc3339("2027-03-01t19:30:00z"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01t19:30:00Z"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00z"), kGala);
}

TEST(ParseRfc3339, ReadsFractionsOfASecond) {
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.5Z"), kGala + 500'000);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.123456Z"), kGala + 123'456);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.000001Z"), kGala + 1);
  EXPECT_EQ(parse_rfc3339("2027-03-01T21:30:00.25+02:00"), kGala + 250'000);
}

TEST(ParseRfc3339, TruncatesFractionsBeyondMicrosecondsRatherThanRounding) {
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.1234569Z"), kGala + 123'456);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.9999999Z"), kGala + 999'999);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.0000009Z"), kGala);
  EXPECT_EQ(parse_rfc3339("2027-03-01T19:30:00.12345678901234567890Z"), kGala + 123'456);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59.9999999Z"),
            parse_rfc3339("9999-12-31T23:59:59.999999Z"));
}

TEST(ParseRfc3339, RequiresAnOffset) {
  for (const char* text :
       {"2027-03-01T19:30:00", "2027-03-01T19:30:00.5", "2027-03-01T19:30:00+02",
        "2027-03-01T19:30:00+0200", "2027-03-01T19:30:00+2:00", "2027-03-01T19:30:00 Z",
        "2027-03-01T19:30:00UTC"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_rfc3339(text), std::nullopt);
  }
}

TEST(ParseRfc3339, RejectsImpossibleDatesAndTimes) {
  for (const char* text :
       {"2027-02-30T12:00:00Z", "2027-04-31T12:00:00Z", "2027-13-01T12:00:00Z",
        "2027-00-10T12:00:00Z", "2027-01-00T12:00:00Z", "2027-01-32T12:00:00Z",
        "2027-03-01T24:00:00Z", "2027-03-01T23:60:00Z", "2027-03-01T23:59:60Z",
        "2027-03-01T19:30:00+24:00", "2027-03-01T19:30:00+02:60", "0000-01-01T00:00:00Z"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_rfc3339(text), std::nullopt);
  }
}

TEST(ParseRfc3339, KnowsLeapYears) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1'709'164'800 * kSecond);
  EXPECT_EQ(parse_rfc3339("2024-03-01T00:00:00Z"), 1'709'164'800 * kSecond + kDay);
  EXPECT_NE(parse_rfc3339("2000-02-29T00:00:00Z"), std::nullopt);  // divisible by 400
  EXPECT_EQ(parse_rfc3339("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("1900-02-29T00:00:00Z"), std::nullopt);  // divisible by 100
  EXPECT_EQ(parse_rfc3339("2100-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(*parse_rfc3339("2023-03-01T00:00:00Z") - *parse_rfc3339("2023-02-28T00:00:00Z"), kDay);
}

TEST(ParseRfc3339, RejectsMalformedText) {
  for (const char* text :
       {"", "2027", "2027-03-01", "2027-3-01T19:30:00Z", "2027-03-1T19:30:00Z",
        "27-03-01T19:30:00Z", "2027/03/01T19:30:00Z", "2027-03-01X19:30:00Z",
        "2027-03-01T19:30Z", "2027-03-01T19:30:0Z", "2027-03-01T1:30:00Z", " 2027-03-01T19:30:00Z",
        "2027-03-01T19:30:00Z ", "2027-03-01T19:30:00ZZ", "2027-03-01T19:30:00.Z",
        "2027-03-01T19:30:00,5Z", "+2027-03-01T19:30:00Z", "abcd-ef-ghTij:kl:mnZ"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_rfc3339(text), std::nullopt);
  }
}

TEST(ParseRfc3339, KeepsToYearsOneTo9999InUtc) {
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), -62'135'596'800 * kSecond);
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00+00:01"), std::nullopt);
  EXPECT_NE(parse_rfc3339("9999-12-31T23:59:59.999999Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59-00:01"), std::nullopt);
}

TEST(ParseTimeBound, ReadsADateAsTheStartOfTheDay) {
  EXPECT_EQ(parse_time_bound("2027-03-01", false), parse_rfc3339("2027-03-01T00:00:00Z"));
  EXPECT_EQ(parse_time_bound("1970-01-01", false), 0);
}

TEST(ParseTimeBound, ReadsADateAsTheEndOfTheDay) {
  EXPECT_EQ(parse_time_bound("2027-03-01", true), parse_rfc3339("2027-03-01T23:59:59.999999Z"));
  EXPECT_EQ(parse_time_bound("2027-03-01", true), *parse_time_bound("2027-03-02", false) - 1);
  EXPECT_EQ(parse_time_bound("2024-02-29", true), parse_rfc3339("2024-02-29T23:59:59.999999Z"));
}

TEST(ParseTimeBound, PassesTimesThroughWhicheverEnd) {
  EXPECT_EQ(parse_time_bound("2027-03-01T21:30:00+02:00", false), kGala);
  EXPECT_EQ(parse_time_bound("2027-03-01T21:30:00+02:00", true), kGala);
}

TEST(ParseTimeBound, RejectsInvalidDates) {
  for (const char* text : {"", "2027-02-30", "2023-02-29", "2027-3-1", "2027-03-1x", "20270301xx",
                           "2027-03-01T", "2027-03-01T19:30:00"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_time_bound(text, false), std::nullopt);
    EXPECT_EQ(parse_time_bound(text, true), std::nullopt);
  }
}

TEST(FormatUtc, WritesMicrosecondPrecisionUtc) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_utc(kGala), "2027-03-01T19:30:00.000000Z");
  EXPECT_EQ(format_utc(kGala + 5), "2027-03-01T19:30:00.000005Z");
  EXPECT_EQ(format_utc(1'709'164'800 * kSecond), "2024-02-29T00:00:00.000000Z");
}

TEST(FormatUtc, WritesTimesBeforeTheEpoch) {
  EXPECT_EQ(format_utc(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_utc(-kDay), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ(format_utc(-62'135'596'800 * kSecond), "0001-01-01T00:00:00.000000Z");
}

TEST(FormatUtc, RoundTripsThroughParseRfc3339) {
  for (const char* text :
       {"0001-01-01T00:00:00.000000Z", "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00.000000Z",
        "2000-02-29T12:34:56.789012Z", "2027-03-01T19:30:00.000001Z",
        "9999-12-31T23:59:59.999999Z"}) {
    SCOPED_TRACE(text);
    const std::optional<int64_t> t = parse_rfc3339(text);
    ASSERT_NE(t, std::nullopt);
    EXPECT_EQ(format_utc(*t), text);
  }
  EXPECT_EQ(format_utc(*parse_rfc3339("2027-03-01t21:30:00.5+02:00")),
            "2027-03-01T19:30:00.500000Z");
}

}  // namespace
}  // namespace evently
