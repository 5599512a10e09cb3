#include <gtest/gtest.h>

#include <string>

#include "evently/cache.hpp"

using evently::LruCache;
using evently::Request;

namespace {

LruCache::Entry entry(const std::string& version, size_t size, char fill = 'x') {
  return LruCache::Entry{.version = version, .body = std::string(size, fill), .gzipped = {}};
}

}  // namespace

TEST(LruCache, HitsOnlyAtTheVersionItWasMadeAt) {
  LruCache cache(1 << 20);
  cache.put("a", entry("7", 10));
  ASSERT_NE(cache.get("a", "7"), nullptr);
  EXPECT_EQ(cache.get("a", "7")->body.size(), 10u);
  EXPECT_EQ(cache.get("a", "8"), nullptr) << "a newer version in PostgreSQL is a miss";
  EXPECT_EQ(cache.get("a", "7"), nullptr) << "and the stale entry is gone";
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(LruCache, EvictsTheLeastRecentlyUsedByBytes) {
  LruCache cache(3 * (1000 + 200));  // room for three 1,000-byte entries
  cache.put("a", entry("1", 1000));
  cache.put("b", entry("1", 1000));
  cache.put("c", entry("1", 1000));
  ASSERT_NE(cache.get("a", "1"), nullptr);  // a is now the most recent; b the least
  cache.put("d", entry("1", 1000));
  EXPECT_EQ(cache.get("b", "1"), nullptr);
  EXPECT_NE(cache.get("a", "1"), nullptr);
  EXPECT_NE(cache.get("c", "1"), nullptr);
  EXPECT_NE(cache.get("d", "1"), nullptr);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_LE(cache.bytes(), 3u * 1200);
}

TEST(LruCache, ManySmallEntriesDoNotPushOutABigOneThatIsUsed) {
  LruCache cache(100000);
  cache.put("map", entry("1", 50000));
  for (int i = 0; i < 10000; ++i) {
    cache.put("filter-" + std::to_string(i), entry("1", 100));
    if (i % 50 == 0) {
      ASSERT_NE(cache.get("map", "1"), nullptr) << "after " << i;
    }
  }
  EXPECT_LE(cache.bytes(), 100000u);
}

TEST(LruCache, AnEntryBiggerThanTheBudgetIsServedButNotKept) {
  LruCache cache(1000);
  cache.put("small", entry("1", 100));
  const auto big = cache.put("big", entry("1", 5000));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->body.size(), 5000u);
  EXPECT_EQ(cache.get("big", "1"), nullptr);
  EXPECT_NE(cache.get("small", "1"), nullptr) << "nothing else was evicted for it";
}

TEST(LruCache, ReplacingAKeyKeepsTheCountRight) {
  LruCache cache(1 << 20);
  cache.put("a", entry("1", 1000));
  const size_t one = cache.bytes();
  cache.put("a", entry("2", 1000));
  EXPECT_EQ(cache.bytes(), one);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.get("a", "2"), nullptr);
}

TEST(LruCache, GzipIsMadeOnceAndCounted) {
  LruCache cache(1 << 20);
  const auto e = cache.put("a", entry("1", 100000, 'a'));
  const size_t before = cache.bytes();
  const std::string& gz = cache.gzipped("a", e);
  EXPECT_FALSE(gz.empty());
  EXPECT_LT(gz.size(), 100000u);
  EXPECT_EQ(cache.bytes(), before + gz.size());
  EXPECT_EQ(&cache.gzipped("a", e), &gz) << "compressed once";
}

TEST(CachedResponse, EtagRules) {
  LruCache cache(1 << 20);
  const auto e = cache.put("a", entry("1", 10));
  Request req;
  auto res = cached_response(req, cache, "a", e, "W/\"1\"");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content(), std::string(10, 'x'));
  req.if_none_match = "W/\"0\", W/\"1\"";
  res = cached_response(req, cache, "a", e, "W/\"1\"");
  EXPECT_EQ(res.status, 304);
  EXPECT_TRUE(res.content().empty());
  req.if_none_match = "W/\"0\"";
  req.accept_encoding = "gzip, br";
  res = cached_response(req, cache, "a", e, "W/\"1\"");
  EXPECT_EQ(res.status, 200);
  bool gzipped = false;
  for (const auto& [name, value] : res.headers) gzipped |= name == "Content-Encoding" && value == "gzip";
  EXPECT_TRUE(gzipped);
}
