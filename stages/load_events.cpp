// load_events: loads one window's extract (--in) into the warehouse (--warehouse DIR) as the
// partition DIR/WINDOW_ID.csv, replacing it whole: loading a window again (a retry, a
// backfill) never doubles it. Then reads the partition back and prints what the runner
// compares: "source rows: N" (in the extract) and "loaded rows: M" (in the warehouse).
// --drop N loses N rows on the way, to see the count check catch a lossy load. With
// --ledger, appends "load WINDOW_ID" to it.
#include <iostream>

#include "stage_common.hpp"
#include "util/paths.hpp"

namespace {

using namespace stage;

constexpr std::string_view kHeader = "event_id,event_time,ingested_at,user_id,event_type";

std::vector<std::string> rows_of(const fs::path& file) {
  std::vector<std::string> rows;
  read_csv(file, kHeader, [&](const auto& f, std::size_t line) {
    if (f.size() != 5) {
      throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                       ": expected 5 fields, found " + std::to_string(f.size())};
    }
    std::string whole;
    for (std::size_t i = 0; i < f.size(); ++i) whole += (i ? "," : "") + std::string(f[i]);
    rows.push_back(std::move(whole));
  });
  return rows;
}

int load(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"in", "warehouse", "window", "ledger", "drop"});
  const std::string window = args.require("window");
  const auto source = rows_of(args.path("in"));
  const auto drop = static_cast<std::size_t>(args.number("drop", 0, 0, 1'000'000));
  const fs::path partition = args.path("warehouse") / pipeline::path_from_text(window + ".csv");
  fs::create_directories(partition.parent_path());
  std::string csv = std::string(kHeader) + "\n";
  for (std::size_t i = drop; i < source.size(); ++i) csv += source[i] + "\n";
  write_atomic(partition, csv);
  const auto loaded = rows_of(partition);
  std::cout << "source rows: " << source.size() << "\nloaded rows: " << loaded.size() << std::endl;
  if (args.options.count("ledger")) append_line(args.path("ledger"), "load " + window);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("load_events", load, argc, argv);
}
