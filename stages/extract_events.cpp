// extract_events: the events of one time window out of the source (seed 003): those whose
// event_time is in [--from, --to) and that have arrived by now (ingested_at), each event once
// (a duplicate delivery is dropped). Writes them to --out and prints the counts the runner
// records: "extracted rows: N", "duplicates dropped: N", "late arrivals: N" (arrived after
// the window ended, inside the lag). With --ledger, appends "extract WINDOW_ID" to it: a
// record of every window it processed.
#include <chrono>
#include <iostream>
#include <map>

#include "stage_common.hpp"
#include "util/paths.hpp"
#include "util/time_zone.hpp"

namespace {

using namespace stage;

constexpr std::string_view kHeader = "event_id,event_time,ingested_at,user_id,event_type";

std::int64_t instant(std::string_view text, const fs::path& file, std::size_t line,
                     const char* what) {
  auto t = pipeline::parse_civil_time(text);
  if (!t || !t->offset) {
    throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) + ": " +
                                     what + " '" + std::string(text) +
                                     "' is not a time with an offset"};
  }
  return t->local_seconds - *t->offset;
}

std::int64_t option_time(const Args& args, const std::string& name) {
  auto t = pipeline::parse_civil_time(args.require(name));
  if (!t || !t->offset) throw StageError{kUsage, "--" + name + " needs a time with an offset"};
  return t->local_seconds - *t->offset;
}

int extract(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"source", "from", "to", "out", "window", "ledger"});
  const fs::path source = args.path("source");
  const std::int64_t from = option_time(args, "from");
  const std::int64_t to = option_time(args, "to");
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::map<std::pair<std::int64_t, std::string>, std::string> rows;  // by time, then id
  std::map<std::string, bool> seen;
  std::size_t duplicates = 0, late = 0;
  read_csv(source, kHeader, [&](const auto& f, std::size_t line) {
    if (f.size() != 5) {
      throw StageError{kDataError, pipeline::path_text(source) + ":" + std::to_string(line) +
                                       ": expected 5 fields, found " + std::to_string(f.size())};
    }
    const std::int64_t at = instant(f[1], source, line, "event_time");
    const std::int64_t arrived = instant(f[2], source, line, "ingested_at");
    if (at < from || at >= to || arrived > now) return;  // not this window's, or not here yet
    if (!seen.emplace(std::string(f[0]), true).second) {
      ++duplicates;
      return;
    }
    if (arrived >= to) ++late;
    std::string whole;
    for (std::size_t i = 0; i < f.size(); ++i) whole += (i ? "," : "") + std::string(f[i]);
    rows.emplace(std::make_pair(at, std::string(f[0])), whole);
  });
  const fs::path out = args.path("out");
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  std::string csv = std::string(kHeader) + "\n";
  for (const auto& [key, line] : rows) csv += line + "\n";
  write_atomic(out, csv);
  std::cout << "extracted rows: " << rows.size() << "\nduplicates dropped: " << duplicates
            << "\nlate arrivals: " << late << std::endl;
  if (args.options.count("ledger"))
    append_line(args.path("ledger"), "extract " + args.require("window"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("extract_events", extract, argc, argv);
}
