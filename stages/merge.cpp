// merge: all breakout results -> one CSV (--out), sorted by date then instrument, duplicates
// dropped. Prints "merged N rows from M files".
#include <iostream>
#include <set>
#include <tuple>

#include "stage_common.hpp"
#include "util/paths.hpp"

namespace {

using namespace stage;

constexpr std::string_view kHeader =
    "instrument,date,direction,close,channel_high,channel_low,close_usd";

int merge(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"out"});
  fs::path out = args.path("out");
  if (args.inputs.empty()) throw StageError{kUsage, "no input files given"};
  std::set<std::tuple<std::string, std::string, std::string>> rows;  // date, instrument, line
  for (const auto& file : args.inputs) {
    read_csv(file, kHeader, [&](const auto& f, std::size_t line) {
      if (f.size() != 7) {
        throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                         ": expected 7 fields, found " + std::to_string(f.size())};
      }
      if (f[2] != "up" && f[2] != "down") {
        throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                         ": direction must be up or down"};
      }
      for (std::size_t i = 3; i < 7; ++i) parse_number(f[i], file, line, "price");
      std::string whole;
      for (std::size_t i = 0; i < f.size(); ++i) whole += (i ? "," : "") + std::string(f[i]);
      rows.emplace(std::string(f[1]), std::string(f[0]), whole);
    });
  }
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  std::string csv = std::string(kHeader) + "\n";
  for (const auto& r : rows) csv += std::get<2>(r) + "\n";
  write_atomic(out, csv);
  std::cout << "merged " << rows.size() << " rows from " << args.inputs.size() << " files"
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("merge", merge, argc, argv);
}
