#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "evently/compress.hpp"

using evently::accepts_gzip;
using evently::gzip;

namespace {

std::string gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

}  // namespace

TEST(Gzip, RoundTripsThroughInflate) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += R"({"id":)" + std::to_string(i) + R"(,"status":"available"},)";
  const std::string packed = gzip(text);
  EXPECT_LT(packed.size(), text.size() / 5);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  EXPECT_EQ(gunzip(packed), text);
}

TEST(Gzip, HandlesEmptyInput) { EXPECT_EQ(gunzip(gzip("")), ""); }

TEST(AcceptsGzip, ReadsTheAcceptEncodingList) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br, gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip(" x-gzip "));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.0"));
  EXPECT_FALSE(accepts_gzip("gzipped"));
}
