#include <gtest/gtest.h>

#include <set>
#include <string>

#include "evently/cache.hpp"
#include "evently/events.hpp"

using evently::EventSearch;
using evently::LruCache;

TEST(LruCache, PeekGivesTheEntryWhateverItsVersion) {
  LruCache cache(3 * (1000 + 200));
  EXPECT_EQ(cache.peek("a"), nullptr);
  cache.put("a", LruCache::Entry{.version = "7", .body = std::string(1000, 'a'), .gzipped = {}});
  cache.put("b", LruCache::Entry{.version = "1", .body = std::string(1000, 'b'), .gzipped = {}});
  cache.put("c", LruCache::Entry{.version = "1", .body = std::string(1000, 'c'), .gzipped = {}});
  ASSERT_NE(cache.peek("a"), nullptr);
  EXPECT_EQ(cache.peek("a")->version, "7");
  // a was used last: b is the one to go.
  cache.put("d", LruCache::Entry{.version = "1", .body = std::string(1000, 'd'), .gzipped = {}});
  EXPECT_NE(cache.peek("a"), nullptr);
  EXPECT_EQ(cache.peek("b"), nullptr);
  EXPECT_EQ(cache.get("a", "8"), nullptr) << "peek keeps nothing stale: get still checks";
}

TEST(EventSearch, EveryShapeNumbersItsParametersWithoutGaps) {
  for (int shape = 0; shape < 32; ++shape) {
    const bool q = shape & 1, venue = shape & 2, from = shape & 4, to = shape & 8, cursor = shape & 16;
    const std::string sql = evently::event_search_sql(q, venue, from, to, cursor);
    const int params = q + venue + from + to + 2 * cursor + 1;
    const auto placeholder = [](int n) { return std::string(1, '$').append(std::to_string(n)); };
    for (int n = 1; n <= params; ++n)
      EXPECT_NE(sql.find(placeholder(n)), std::string::npos) << shape << " lacks $" << n;
    EXPECT_EQ(sql.find(placeholder(params + 1)), std::string::npos) << shape;
    EXPECT_EQ(sql.find("ILIKE") != std::string::npos, q || venue) << shape;
  }
}

TEST(EventSearch, KeysTellEverySearchApart) {
  std::set<std::string> keys;
  EventSearch a;
  a.q = "%a;b%";
  keys.insert(evently::event_search_key(a));
  EventSearch b;
  b.q = "%a";
  b.venue = "b%";
  keys.insert(evently::event_search_key(b));
  EventSearch c;
  c.venue = "%a;b%";
  keys.insert(evently::event_search_key(c));
  EventSearch d = a;
  d.page.limit = 21;
  keys.insert(evently::event_search_key(d));
  EventSearch e = a;
  e.page.after = std::vector<int64_t>{1, 2};
  keys.insert(evently::event_search_key(e));
  EventSearch f = a;
  f.from = "2030-01-01T00:00:00.000000Z";
  keys.insert(evently::event_search_key(f));
  EventSearch g = a;
  g.to = "2030-01-01T00:00:00.000000Z";
  keys.insert(evently::event_search_key(g));
  EXPECT_EQ(keys.size(), 7u);
}
