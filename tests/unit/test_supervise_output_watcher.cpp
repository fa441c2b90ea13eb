#include <catch2/catch.hpp>

#include "supervise/output_watcher.hpp"
#include "support/temp_dir.hpp"

using namespace pipeline;
using pipeline::testing::slurp;
using pipeline::testing::TempDir;

TEST_CASE("the log gets the exact bytes - the tail the last 50 lines", "[watcher]") {
  TempDir dir;
  LinePatterns patterns(std::nullopt, std::nullopt, {});
  OutputWatcher w(dir / "out.log", patterns);
  std::string all;
  for (int i = 0; i < 120; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    all += line;
    // feed in odd-sized chunks so lines are split across reads
    w.feed(std::string_view(line).substr(0, 3));
    w.feed(std::string_view(line).substr(3));
  }
  w.feed("no newline");
  all += "no newline";
  w.finish();
  CHECK(slurp(dir / "out.log") == all);
  CHECK(w.bytes() == all.size());
  auto tail = w.tail();
  REQUIRE(tail.size() == 50);
  CHECK(tail.front() == "line 71");
  CHECK(tail.back() == "no newline");
}

TEST_CASE("the tail is the same however the stream is cut into reads", "[watcher]") {
  // A line open before a large read, reads of many lines, and an open line at the end: the
  // tail-only path skips whole lines of a large read without copying them.
  std::string stream = "an open line ";
  for (int i = 0; i < 400; ++i) stream += "line " + std::to_string(i) + "\n";
  stream += "open at the end";
  auto tail_with_reads_of = [&](std::size_t size) {
    TempDir dir;
    LinePatterns patterns(std::nullopt, std::nullopt, {});
    OutputWatcher w(dir / "out.log", patterns);
    for (std::size_t i = 0; i < stream.size(); i += size)
      w.feed(std::string_view(stream).substr(i, size));
    w.finish();
    CHECK(slurp(dir / "out.log") == stream);
    return w.tail();
  };
  const auto byte_by_byte = tail_with_reads_of(1);
  REQUIRE(byte_by_byte.size() == 50);
  CHECK(byte_by_byte.front() == "line 351");
  CHECK(byte_by_byte.back() == "open at the end");
  for (std::size_t size : {7U, 100U, 1000U, 4096U, 1U << 20}) {
    INFO("reads of " << size << " bytes");
    CHECK(tail_with_reads_of(size) == byte_by_byte);
  }
}

TEST_CASE("a pattern still sees every line of a large read", "[watcher]") {
  TempDir dir;
  std::size_t items = 0;
  LinePatterns patterns(std::nullopt, "^item (\\d+)$",
                        [&](const std::string&, std::size_t n) { items = n; });
  OutputWatcher w(dir / "out.log", patterns);
  std::string read;
  for (int i = 0; i < 1000; ++i) read += "item " + std::to_string(i) + "\n";
  w.feed(read);
  w.finish();
  CHECK(items == 1000);
  CHECK(w.tail().front() == "item 950");
}

TEST_CASE("binary bytes stay exact in the log and valid UTF-8 in the tail", "[watcher]") {
  TempDir dir;
  LinePatterns patterns(std::nullopt, std::nullopt, {});
  OutputWatcher w(dir / "out.log", patterns);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  w.feed(bytes);
  w.finish();
  CHECK(slurp(dir / "out.log") == bytes);
  for (const auto& line : w.tail()) CHECK(line.find('\xff') == std::string::npos);
}

TEST_CASE("a line longer than the cap is cut in the tail and still matched", "[watcher]") {
  TempDir dir;
  LinePatterns patterns("^DONE", std::nullopt, {});
  OutputWatcher w(dir / "out.log", patterns);
  std::string huge = "DONE" + std::string(3 * OutputWatcher::kLineCap, 'x');
  for (std::size_t i = 0; i < huge.size(); i += 1000)
    w.feed(std::string_view(huge).substr(i, 1000));
  w.feed("\n");
  w.finish();
  CHECK(patterns.completed());
  REQUIRE(w.tail().size() == 1);
  CHECK(w.tail()[0].size() == OutputWatcher::kLineCap);
  CHECK(slurp(dir / "out.log").size() == huge.size() + 1);
}

TEST_CASE("progress counts distinct items across both streams", "[watcher]") {
  TempDir dir;
  std::vector<std::string> seen;
  LinePatterns patterns(std::nullopt, "^processed (\\S+)",
                        [&](const std::string& item, std::size_t) { seen.push_back(item); });
  OutputWatcher out(dir / "o.log", patterns), err(dir / "e.log", patterns);
  out.feed("processed EUR\nprocessed USD\r\n");
  err.feed("processed EUR\nnoise\n");
  out.feed("processed JPY");
  out.finish();
  err.finish();
  CHECK(seen == std::vector<std::string>{"EUR", "USD", "JPY"});
  CHECK(patterns.items_done() == 3);
  CHECK_FALSE(patterns.completed());
}

TEST_CASE("a log that cannot be opened is a warning and the stream is still watched", "[watcher]") {
  TempDir dir;
  LinePatterns patterns("^ok$", std::nullopt, {});
  OutputWatcher w(dir / "missing-folder" / "out.log", patterns);
  w.feed("ok\n");
  w.finish();
  CHECK(patterns.completed());
  REQUIRE(w.warnings().size() == 1);
  CHECK_THAT(w.warnings()[0], Catch::Contains("cannot write"));
}

TEST_CASE("a pattern that backtracks for ever elsewhere matches in linear time here",
          "[watcher][hostile]") {
  TempDir dir;
  // (a+)+$ against "aaaa...b" takes exponential time in a backtracking engine (Boost threw
  // "complexity exceeded" and the run died); RE2 answers in one pass over the line.
  LinePatterns patterns("^(a+)+$", "^((?:a|aa)+)x", {});
  OutputWatcher out(dir / "o.log", patterns);
  std::string evil(OutputWatcher::kLineCap - 1, 'a');
  for (int i = 0; i < 200; ++i) out.feed(evil + "b\n");
  out.feed(std::string(100, 'a') + "x\n");
  out.finish();
  CHECK_FALSE(patterns.completed());
  CHECK(patterns.items_done() == 1);
  CHECK_THROWS_AS(LinePattern("(a)\\1"), std::invalid_argument);
}
