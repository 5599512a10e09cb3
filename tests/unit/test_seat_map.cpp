#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>

#include "evently/metrics.hpp"
#include "evently/seat_map.hpp"

using namespace evently;

namespace {

// Two sections: A (3 seats) then B (2 seats).
SeatLayout layout() {
  SeatLayout l;
  l.sections.json = R"([{"name":"A","rows":1,"seats_per_row":3,"price_cents":100},)"
                    R"({"name":"B","rows":1,"seats_per_row":2,"price_cents":50}])";
  l.sections.names = {"A", "B"};
  for (int i = 1; i <= 5; ++i) {
    const uint32_t section = i <= 3 ? 0 : 1;
    l.seats.push_back({section, "{\"id\":" + std::to_string(i) + ",\"section\":\"" + l.sections.names[section] +
                                    "\",\"row\":1,\"number\":" + std::to_string(i) +
                                    ",\"price_cents\":1,\"status\":\""});
  }
  return l;
}

SeatMapFilter filter(std::optional<std::string> section, std::optional<std::string> status) {
  return SeatMapFilter{std::move(section), std::move(status)};
}

const std::vector<SeatMapFilter> kFilters = {
    filter(std::nullopt, std::nullopt), filter("A", std::nullopt),  filter("", std::nullopt),
    filter("-", std::nullopt),          filter("s", std::nullopt),  filter(std::nullopt, "available"),
    filter(std::nullopt, "held"),       filter(std::nullopt, "booked"), filter("A", "available"),
    filter("A", "booked"),              filter("Nope", std::nullopt)};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/evently-seatmap-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

bool has_header(const Response& res, const std::string& name, const std::string& value) {
  for (const auto& [n, v] : res.headers)
    if (n == name && v == value) return true;
  return false;
}

}  // namespace

TEST(SeatMapKey, DistinctForEveryFilterAndEvent) {
  std::set<std::string> keys;
  for (const auto& f : kFilters) {
    keys.insert(seat_map_key(7, f));
    keys.insert(seat_map_key(70, f));
    EXPECT_EQ(seat_map_key(7, f), seat_map_key(7, f));
  }
  EXPECT_EQ(keys.size(), 2 * kFilters.size());
  // An event id and a section never run together.
  EXPECT_NE(seat_map_key(1, filter("1", std::nullopt)), seat_map_key(11, filter(std::nullopt, std::nullopt)));
}

TEST(SeatMapEtag, AWeakTagOfEventVersionAndFilter) {
  const std::string tag = seat_map_etag(42, "17.3.0", filter(std::nullopt, std::nullopt));
  EXPECT_EQ(tag.rfind("W/\"42-17.3.0-", 0), 0u) << tag;
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(tag.find('"', 3), tag.size() - 1) << "one quoted tag, whatever the section";
  EXPECT_EQ(seat_map_etag(42, "1", filter("a\"b", std::nullopt)).find('"', 3),
            seat_map_etag(42, "1", filter("a\"b", std::nullopt)).size() - 1);
}

TEST(SeatMapEtag, SameEverywhereForTheSameMap) {
  // Fixed across processes and builds: workers and hosts agree, and a
  // client's tag survives a restart.
  EXPECT_EQ(seat_map_etag(5, "9.0.0", filter("A", "held")), seat_map_etag(5, "9.0.0", filter("A", "held")));
  EXPECT_EQ(seat_map_etag(5, "9.0.0", filter(std::nullopt, std::nullopt)), "W/\"5-9.0.0-07d01707b497e58f\"");
}

TEST(SeatMapEtag, ChangesWithVersionFilterAndEvent) {
  std::set<std::string> tags;
  for (const auto& f : kFilters) {
    tags.insert(seat_map_etag(1, "1.0.0", f));
    tags.insert(seat_map_etag(1, "2.0.0", f));
    tags.insert(seat_map_etag(2, "1.0.0", f));
  }
  EXPECT_EQ(tags.size(), 3 * kFilters.size());
}

TEST(SeatMapFilter, KnowsTheThreeStatuses) {
  EXPECT_TRUE(valid_seat_status("available"));
  EXPECT_TRUE(valid_seat_status("held"));
  EXPECT_TRUE(valid_seat_status("booked"));
  EXPECT_FALSE(valid_seat_status(""));
  EXPECT_FALSE(valid_seat_status("Booked"));
  EXPECT_FALSE(valid_seat_status("bookedx"));
}

TEST(RenderSeatMap, FiltersBySectionAndStatus) {
  const SeatLayout l = layout();
  const std::string all = render_seat_map(3, l, "01200", std::nullopt, std::nullopt);
  EXPECT_EQ(all.rfind("{\"event_id\":3,\"sections\":" + l.sections.json + ",\"seats\":[{\"id\":1,", 0), 0u);
  EXPECT_NE(all.find("\"number\":2,\"price_cents\":1,\"status\":\"booked\"}"), std::string::npos);
  EXPECT_NE(all.find("\"number\":3,\"price_cents\":1,\"status\":\"held\"}"), std::string::npos);
  const std::string b = render_seat_map(3, l, "01200", std::string("B"), std::nullopt);
  EXPECT_EQ(b.find("\"section\":\"A\""), std::string::npos);
  EXPECT_NE(b.find("{\"id\":4,"), std::string::npos);
  EXPECT_NE(b.find("{\"id\":5,"), std::string::npos);
  const std::string booked = render_seat_map(3, l, "01200", std::nullopt, std::string("booked"));
  EXPECT_EQ(booked.find("{\"id\":1,"), std::string::npos);
  EXPECT_NE(booked.find("{\"id\":2,"), std::string::npos);
  EXPECT_EQ(render_seat_map(3, l, "01200", std::string("Nope"), std::nullopt), empty_seat_map(3, l.sections));
  EXPECT_EQ(empty_seat_map(3, l.sections), "{\"event_id\":3,\"sections\":" + l.sections.json + ",\"seats\":[]}");
}

TEST(SeatLayout, KnowsItsSectionsAndSize) {
  const SeatLayout l = layout();
  EXPECT_EQ(l.sections.index("A"), 0u);
  EXPECT_EQ(l.sections.index("B"), 1u);
  EXPECT_FALSE(l.sections.index("a"));
  EXPECT_FALSE(l.sections.index(""));
  EXPECT_GT(l.bytes(), 5 * 60u) << "at least the seats' text";
  EXPECT_GT(l.bytes(), l.sections.bytes());
}

TEST(SeatMaps, LoadsALayoutOnceAndAgainWhenItsSizeIsWrong) {
  SeatMaps maps(1 << 20, 1 << 20);
  int loads = 0;
  const auto load = [&] { ++loads; return layout(); };
  maps.layout(1, 0, load);
  maps.layout(1, 5, load);
  maps.layout(1, 0, load);
  EXPECT_EQ(loads, 1);
  maps.layout(1, 6, load);  // the seats the event has now are not these
  EXPECT_EQ(loads, 2);
  maps.layout(2, 0, load);
  EXPECT_EQ(loads, 3);
  EXPECT_GE(maps.layouts().bytes(), 2 * layout().bytes());
}

TEST(SeatMaps, SectionsComeWithALayoutOrAlone) {
  SeatMaps maps(1 << 20, 1 << 20);
  int alone = 0;
  const auto load_sections = [&] { ++alone; return layout().sections; };
  maps.layout(1, 0, layout);
  EXPECT_EQ(maps.sections(1, load_sections)->names, layout().sections.names);
  EXPECT_EQ(alone, 0) << "the layout brought its sections";
  maps.sections(2, load_sections);
  maps.sections(2, load_sections);
  EXPECT_EQ(alone, 1) << "loaded once, without the seats";
  EXPECT_EQ(maps.layouts().size(), 1u) << "and no layout for it";
}

TEST(SeatMaps, SectionsOfManyEventsDoNotPushOutALayout) {
  SeatMaps maps(1 << 20, 16 * 1024);
  maps.layout(1, 0, layout);
  for (int id = 2; id < 5000; ++id) maps.sections(id, [] { return layout().sections; });
  EXPECT_EQ(maps.layouts().size(), 1u);
  EXPECT_EQ(maps.layouts().evictions(), 0u);
  EXPECT_LE(maps.sections_cache().bytes(), 64u * 1024);
  EXPECT_GT(maps.sections_cache().evictions(), 0u);
}

TEST(SeatMaps, LayoutsAreBoundedByBytes) {
  const size_t one = layout().bytes() + 200;
  SeatMaps maps(1 << 20, 3 * one);
  for (int id = 1; id <= 50; ++id) maps.layout(id, 0, layout);
  EXPECT_LE(maps.layouts().bytes(), 3 * one);
  EXPECT_LE(maps.layouts().size(), 3u);
  EXPECT_GE(maps.layouts().evictions(), 47u);
}

TEST(SeatMaps, AMapIsAHitOnlyAtItsVersion) {
  SeatMaps maps(1 << 20, 1 << 20);
  const auto f = filter(std::nullopt, std::nullopt);
  const std::string key = seat_map_key(1, f);
  EXPECT_EQ(maps.get(key, "1.0.0"), nullptr);
  const auto made = maps.render(key, "1.0.0", 1, layout(), "00000", f);
  EXPECT_EQ(maps.get(key, "1.0.0"), made);
  EXPECT_EQ(maps.get(key, "2.0.0"), nullptr) << "a booking moved the tag";
  EXPECT_EQ(maps.get(key, "1.0.0"), nullptr) << "and the old map is gone";
}

TEST(SeatMaps, TheEmptyAnswerIsNeverKept) {
  SeatMaps maps(1 << 20, 1 << 20);
  const SeatLayout l = layout();
  const std::string tag = seat_map_etag(1, "1.0.0", filter("Nope", std::nullopt));
  Request req;
  req.accept_encoding = "gzip";
  for (int i = 0; i < 100; ++i) {
    const Response res = maps.respond_empty(req, 1, l.sections, tag);
    EXPECT_EQ(res.status, 200);
    EXPECT_TRUE(has_header(res, "ETag", tag));
    EXPECT_TRUE(has_header(res, "Content-Encoding", "gzip"));
  }
  EXPECT_EQ(maps.maps().size(), 0u);
  EXPECT_EQ(maps.maps().bytes(), 0u);
  req.accept_encoding.clear();
  EXPECT_EQ(maps.respond_empty(req, 1, l.sections, tag).content(), empty_seat_map(1, l.sections));
  req.if_none_match = tag;
  EXPECT_EQ(maps.respond_empty(req, 1, l.sections, tag).status, 304);
}

TEST(SeatMaps, AnswersWithTheEtagRules) {
  SeatMaps maps(1 << 20, 1 << 20);
  const auto f = filter("A", std::nullopt);
  const std::string key = seat_map_key(1, f);
  const std::string tag = seat_map_etag(1, "1.0.0", f);
  const auto map = maps.render(key, "1.0.0", 1, layout(), "00000", f);
  Request req;
  Response res = maps.respond(req, key, map, tag);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content(), map->body);
  EXPECT_TRUE(has_header(res, "ETag", tag));
  EXPECT_TRUE(has_header(res, "Cache-Control", "no-cache"));
  EXPECT_TRUE(has_header(res, "Vary", "Accept-Encoding"));
  req.if_none_match = seat_map_etag(1, "1.0.0", filter(std::nullopt, std::nullopt));
  EXPECT_EQ(maps.respond(req, key, map, tag).status, 200) << "another filter's tag";
  req.if_none_match = tag;
  res = maps.respond(req, key, map, tag);
  EXPECT_EQ(res.status, 304);
  EXPECT_TRUE(res.content().empty());
}

TEST(SeatMaps, CountsHitsMissesEvictionsAndRendersInTheWorkersMetrics) {
  TempDir dir;
  {
    WorkerMetrics worker(dir.path, "event_seats");
    ASSERT_EQ(WorkerMetrics::current(), &worker);
    const size_t one = 4 * 1024;
    SeatMaps maps(3 * one, 1 << 20);
    SeatLayout big = layout();
    for (auto& seat : big.seats) seat.prefix += std::string(600, ' ');  // a map of about 3 KiB
    maps.layout(1, 0, [&] { return big; });
    maps.layout(1, 0, [&] { return big; });
    for (int i = 0; i < 5; ++i) {
      const auto f = filter(std::nullopt, i % 2 == 0 ? std::optional<std::string>("available") : std::nullopt);
      const std::string key = seat_map_key(i, f);
      if (maps.get(key, "1") == nullptr) maps.render(key, "1", i, big, "00000", f);
      ASSERT_NE(maps.get(key, "1"), nullptr);
    }
    const FunctionMetrics m = read_function_metrics(dir.path, "event_seats");
    const int map = static_cast<int>(CacheName::seat_map), lay = static_cast<int>(CacheName::seat_layout);
    EXPECT_EQ(m.seat_map_renders, 5u);
    EXPECT_EQ(m.cache_misses[map], 5u);
    EXPECT_EQ(m.cache_hits[map], 5u);
    EXPECT_EQ(m.cache_evictions[map], maps.maps().evictions());
    EXPECT_GE(m.cache_evictions[map], 2u) << "five maps of ~3 KiB in 12 KiB";
    EXPECT_EQ(m.cache_bytes[map], maps.maps().bytes());
    EXPECT_EQ(m.cache_misses[lay], 1u);
    EXPECT_EQ(m.cache_hits[lay], 1u);
    EXPECT_EQ(m.cache_bytes[lay], maps.layouts().bytes());

    const std::string text = prometheus_text(dir.path);
    EXPECT_NE(text.find("evently_seat_map_renders_total{function=\"event_seats\"} 5\n"), std::string::npos) << text;
    EXPECT_NE(text.find("evently_cache_hits_total{function=\"event_seats\",cache=\"seat_map\"} 5\n"),
              std::string::npos);
    EXPECT_NE(text.find("evently_cache_misses_total{function=\"event_seats\",cache=\"seat_layout\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("# TYPE evently_cache_bytes gauge\n"), std::string::npos);
  }
  EXPECT_EQ(WorkerMetrics::current(), nullptr);
  // A gone worker's cache holds nothing.
  const FunctionMetrics after = read_function_metrics(dir.path, "event_seats");
  EXPECT_EQ(after.cache_bytes[static_cast<int>(CacheName::seat_map)], 0u);
  EXPECT_EQ(after.seat_map_renders, 5u) << "counters stay";
}
