// The window grid (SPEC 11) against the real zone data: DST days, folds, gaps, tiling.
#include <catch2/catch.hpp>

#include "core/window_grid.hpp"
#include "util/error.hpp"

using namespace pipeline;

namespace {

WindowsConfig windows(const std::string& every_s, const std::string& start,
                      const std::string& zone = "UTC") {
  // Through the config, as a user writes it.
  Config c = parse_config(
      "version: 1\npipeline: t\nroot: /r\nstages:\n  - name: s\n"
      "    command: [x]\n    windows:\n      every: " +
          every_s + "\n      start: " + start + "\n      timezone: " + zone + "\n",
      "/r/p.yaml", [](const std::string&) { return std::nullopt; });
  return *c.stages[0].windows;
}

std::int64_t at(const std::string& text) {
  auto t = parse_civil_time(text);
  REQUIRE(t);
  REQUIRE(t->offset);
  return t->local_seconds - *t->offset;
}

std::string local(const WindowsConfig& c, std::int64_t s) {
  return c.zone.format(TimePoint(std::chrono::seconds(s)), "%F %H:%M %Z");
}

}  // namespace

TEST_CASE("UTC windows follow from start and every", "[windows]") {
  const auto c = windows("2h", "2026-01-01T00:00:00Z");
  const WindowGrid g(c);
  CHECK(g.first_start() == at("2026-01-01T00:00Z"));
  auto w = g.between(g.first_start(), at("2026-01-01T07:00Z"), 100);
  REQUIRE(w.size() == 3);  // 00-02, 02-04, 04-06; 06-08 has not ended by 07:00
  CHECK(window_id(w[0].start) == "20260101T000000Z");
  CHECK(window_id(w[2].start) == "20260101T040000Z");
  CHECK(w[2].end == at("2026-01-01T06:00Z"));
  // A limit, and a start between boundaries (the window that holds it is not "at or after").
  CHECK(g.between(g.first_start(), at("2026-01-02T00:00Z"), 5).size() == 5);
  auto later = g.between(at("2026-01-01T03:00Z"), at("2026-01-01T09:00Z"), 100);
  REQUIRE(later.size() == 2);
  CHECK(later[0].start == at("2026-01-01T04:00Z"));
  // Nothing before the first window.
  CHECK(g.between(at("2025-12-01T00:00Z"), at("2026-01-01T02:00Z"), 100).size() == 1);
}

TEST_CASE("window ids round-trip and refuse what they do not write", "[windows]") {
  const std::int64_t t = at("2026-03-08T10:00:00Z");
  CHECK(window_id(t) == "20260308T100000Z");
  CHECK(parse_window_id("20260308T100000Z") == t);
  CHECK_FALSE(parse_window_id("2026-03-08T10:00Z"));
  CHECK_FALSE(parse_window_id("20261308T100000Z"));
}

TEST_CASE("1h windows are real hours: 23 on the spring DST day, 25 on the autumn one",
          "[windows]") {
  const auto c = windows("1h", "2026-01-01", "America/Los_Angeles");
  const WindowGrid g(c);
  // Local midnight to local midnight (PST -8, PDT -7).
  auto spring = g.between(at("2026-03-08T08:00Z"), at("2026-03-09T07:00Z"), 100);
  auto autumn = g.between(at("2026-11-01T07:00Z"), at("2026-11-02T08:00Z"), 100);
  auto plain = g.between(at("2026-03-10T07:00Z"), at("2026-03-11T07:00Z"), 100);
  CHECK(spring.size() == 23);
  CHECK(autumn.size() == 25);
  CHECK(plain.size() == 24);
  for (const auto* day : {&spring, &autumn, &plain}) {
    for (const auto& w : *day) CHECK(w.end - w.start == 3600);
  }
  // The hour the clock skips has no window: 01:00 PST is followed by 03:00 PDT.
  CHECK(local(c, spring[1].start) == "2026-03-08 01:00 PST");
  CHECK(local(c, spring[2].start) == "2026-03-08 03:00 PDT");
  // The hour it repeats has two: 01:00 PDT and 01:00 PST.
  CHECK(local(c, autumn[1].start) == "2026-11-01 01:00 PDT");
  CHECK(local(c, autumn[2].start) == "2026-11-01 01:00 PST");
  CHECK(local(c, autumn[3].start) == "2026-11-01 02:00 PST");
}

TEST_CASE("1d windows run from local midnight, 23 and 25 hours on DST days", "[windows]") {
  const auto c = windows("1d", "2026-03-01", "America/Los_Angeles");
  const WindowGrid g(c);
  auto days = g.between(g.first_start(), at("2026-11-05T00:00Z"), 1000);
  REQUIRE(days.size() == 248);  // March 1 to November 3, each ended by November 5 UTC
  std::map<std::int64_t, int> lengths;
  for (std::size_t i = 0; i < days.size(); ++i) {
    CHECK(c.zone.format(TimePoint(std::chrono::seconds(days[i].start)), "%H:%M") == "00:00");
    if (i > 0) CHECK(days[i].start == days[i - 1].end);
    ++lengths[(days[i].end - days[i].start) / 3600];
  }
  CHECK(lengths == std::map<std::int64_t, int>{{23, 1}, {24, 246}, {25, 1}});
  CHECK(local(c, days[7].start) == "2026-03-08 00:00 PST");
  CHECK(days[7].end - days[7].start == 23 * 3600);
}

TEST_CASE("a start written with an offset is read on the zone's clock", "[windows]") {
  // 08:00Z is midnight in Los Angeles in winter: the grid is at local midnight.
  const auto c = windows("1d", "2026-01-01T08:00:00Z", "America/Los_Angeles");
  CHECK(local(c, WindowGrid(c).first_start()) == "2026-01-01 00:00 PST");
  const auto utc = windows("1d", "2026-01-01T00:00:00Z", "America/Los_Angeles");
  CHECK(local(utc, WindowGrid(utc).first_start()) == "2025-12-31 16:00 PST");
}

TEST_CASE("windows tile time with no gap and no overlap in every zone and step", "[windows]") {
  for (const char* zone : {"UTC", "America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe",
                           "Asia/Kathmandu", "America/Havana"}) {
    for (const char* every : {"15m", "1h", "2h", "1d"}) {
      CAPTURE(zone, every);
      const auto c = windows(every, "2026-01-01", zone);
      const WindowGrid g(c);
      auto year = g.between(g.first_start(), g.first_start() + 366LL * 86400, 40'000);
      REQUIRE_FALSE(year.empty());
      CHECK(year.front().start == g.first_start());
      const std::int64_t step = c.every.count();
      bool tiled = true;
      for (std::size_t i = 0; i < year.size(); ++i) {
        tiled = tiled && year[i].end > year[i].start && year[i].end - year[i].start <= step + 3600;
        if (i > 0) tiled = tiled && year[i].start == year[i - 1].end;
      }
      CHECK(tiled);
      // Read in small steps, the same windows.
      std::vector<TimeWindow> pieces;
      std::int64_t from = g.first_start();
      while (pieces.size() < 300) {
        auto part = g.between(from, g.first_start() + 366LL * 86400, 7);
        REQUIRE_FALSE(part.empty());
        pieces.insert(pieces.end(), part.begin(), part.end());
        from = part.back().end;
      }
      CHECK(std::equal(pieces.begin(), pieces.end(), year.begin()));
    }
  }
}

TEST_CASE("overlapping finds the windows that touch a range", "[windows]") {
  const auto c = windows("2h", "2026-01-01");
  const WindowGrid g(c);
  auto w = g.overlapping(at("2026-01-02T03:00Z"), at("2026-01-02T06:00Z"), 10);
  REQUIRE(w.size() == 2);
  CHECK(w[0].start == at("2026-01-02T02:00Z"));
  CHECK(w[1].end == at("2026-01-02T06:00Z"));
  CHECK(g.overlapping(at("2026-01-02T04:00Z"), at("2026-01-02T04:00:01Z"), 10).size() == 1);
}

TEST_CASE("a bad windows section is refused with its place", "[windows][config]") {
  auto error_of = [](const std::string& body) {
    try {
      parse_config(
          "version: 1\npipeline: t\nroot: /r\nstages:\n  - name: s\n"
          "    command: [x]\n" +
              body,
          "/r/p.yaml", [](const std::string&) { return std::nullopt; });
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error_of("    windows: {every: 1h, start: 2026-01-01, timezone: Mars/Base}\n"),
             Catch::Contains("p.yaml:7:") && Catch::Contains("Mars/Base"));
  CHECK_THAT(error_of("    windows: {every: 30s, start: 2026-01-01}\n"),
             Catch::Contains("at least 1m"));
  CHECK_THAT(error_of("    windows: {every: 1h, start: yesterday}\n"),
             Catch::Contains("is not a time"));
  CHECK_THAT(error_of("    windows: {every: 1h}\n"), Catch::Contains("needs 'start'"));
  CHECK_THAT(error_of("    windows: {every: 1h, start: 2026-01-01, order: random}\n"),
             Catch::Contains("strict or independent"));
  CHECK_THAT(error_of("    windows: {every: 1h, start: 2026-02-30}\n"),
             Catch::Contains("is not a time"));
  CHECK_THAT(error_of("    env: {A: \"${window.id}\"}\n"),
             Catch::Contains("only known in the command, cwd or env of a stage with windows"));
  CHECK_THAT(error_of("    counts: {source: \"rows (\\\\d+)\", tolerance: 1%}\n"),
             Catch::Contains("name both patterns"));
  CHECK_THAT(error_of("    counts: {source: \"rows \\\\d+\"}\n"),
             Catch::Contains("count 'source'"));
  CHECK_THAT(error_of("    counts: {source: \"a (\\\\d+)\", target: \"b (\\\\d+)\", "
                      "tolerance: 5}\n"),
             Catch::Contains("percentage"));
  CHECK(error_of("    windows: {every: 1h, start: 2026-01-01}\n"
                 "    counts: {source: \"a (\\\\d+)\", target: \"b (\\\\d+)\", "
                 "tolerance: 0.5%}\n    retry_on: [count]\n") == "accepted");
}

TEST_CASE("civil times are right from 1970 to 9999, past 2038, and refused outside", "[windows]") {
  // 2038-01-19T03:14:08Z is 2^31 seconds: one day later must not wrap to 1901.
  CHECK(at("2038-01-19T03:14:08Z") == std::int64_t{1} << 31);
  CHECK(at("2040-01-01T00:00:00Z") == 2208988800);
  CHECK(at("9999-12-31T23:59:59Z") == 253402300799);
  CHECK(at("1970-01-01T00:00:00Z") == 0);
  CHECK(window_id(at("2040-01-01T00:00:00Z")) == "20400101T000000Z");
  CHECK(window_id(253402214400) == "99991231T000000Z");
  CHECK(parse_window_id("99991231T000000Z") == 253402214400);
  CHECK_FALSE(parse_civil_time("1969-12-31"));
  CHECK_FALSE(parse_civil_time("10000-01-01"));
  CHECK_FALSE(parse_civil_time("1970-01-01T00:30:00+01:00"));  // 1969 in UTC
  // A grid in 2040 on a zone's clock, through a DST change.
  const auto c = windows("1d", "2040-03-10", "America/New_York");
  const WindowGrid g(c);
  auto w = g.between(g.first_start(), at("2040-03-13T00:00:00Z"), 10);
  REQUIRE(w.size() == 2);
  CHECK(local(c, w[0].start) == "2040-03-10 00:00 EST");
  CHECK(w[1].end - w[1].start == 23 * 3600);  // 2040-03-11: clocks go forward
  // The compiled zone files end in 2037; their POSIX rule carries on to 9999.
  CHECK(c.zone.format_seconds(at("9999-07-01T12:00:00Z"), "%F %H:%M %Z") == "9999-07-01 08:00 EDT");
  CHECK(c.zone.offset_at(at("2100-01-01T12:00:00Z")) == -5 * 3600);
}
