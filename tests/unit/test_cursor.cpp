#include "evently/cursor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace evently {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(Cursor, RoundTripsItsValues) {
  const std::vector<std::vector<int64_t>> cases = {
      {},
      {42},
      {1803929400000000, 17},
      {-1, 0, 1},
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()},
  };
  for (const auto& values : cases) {
    SCOPED_TRACE(values.size());
    const std::string cursor = encode_cursor(values);
    EXPECT_EQ(decode_cursor(cursor, values.size()), values);
  }
}

TEST(Cursor, IsUrlSafeText) {
  const std::string cursor = encode_cursor({1803929400000000, 17});
  ASSERT_FALSE(cursor.empty());
  EXPECT_EQ(cursor.find_first_not_of(kBase64Url), std::string::npos) << cursor;
}

TEST(Cursor, DiffersForDifferentValues) {
  EXPECT_NE(encode_cursor({1, 2}), encode_cursor({1, 3}));
  EXPECT_NE(encode_cursor({1, 2}), encode_cursor({2, 1}));
}

TEST(Cursor, RejectsTamperedInput) {
  const std::string cursor = encode_cursor({1803929400000000, 17});
  for (size_t i = 0; i < cursor.size(); ++i) {
    for (const char c : {'A', 'f', '9', '_'}) {
      if (cursor[i] == c) continue;
      std::string tampered = cursor;
      tampered[i] = c;
      SCOPED_TRACE(tampered);
      EXPECT_EQ(decode_cursor(tampered, 2), std::nullopt);
    }
  }
}

TEST(Cursor, RejectsTruncatedOrExtendedInput) {
  const std::string cursor = encode_cursor({7, 8});
  for (size_t n = 0; n < cursor.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(decode_cursor(cursor.substr(0, n), 2), std::nullopt);
  }
  EXPECT_EQ(decode_cursor(cursor + "A", 2), std::nullopt);
  EXPECT_EQ(decode_cursor(cursor + "AAAA", 2), std::nullopt);
  EXPECT_EQ(decode_cursor(cursor + "=", 2), std::nullopt);
}

TEST(Cursor, RejectsTheWrongValueCount) {
  const std::string cursor = encode_cursor({7, 8});
  EXPECT_EQ(decode_cursor(cursor, 0), std::nullopt);
  EXPECT_EQ(decode_cursor(cursor, 1), std::nullopt);
  EXPECT_EQ(decode_cursor(cursor, 3), std::nullopt);
  EXPECT_NE(decode_cursor(cursor, 2), std::nullopt);
}

TEST(Cursor, RejectsGarbage) {
  for (const char* text : {"", "not a cursor", "!!!!!!!!!!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAA",
                           "AAAAAAAAAAAAAAAAAAAAAAAAAA=="}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decode_cursor(text, 1), std::nullopt);
  }
}

}  // namespace
}  // namespace evently
