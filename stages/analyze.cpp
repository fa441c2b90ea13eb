// analyze: breakout analysis over daily bars. For each bar file (date,open,high,low,close,
// volume,ticks) a day whose close is above the highest high (or below the lowest low) of the
// --lookback days before it is a breakout. Writes <INSTRUMENT>_breakouts.csv into --out
// (instrument,date,direction,close,channel_high,channel_low,close_usd) and prints
// "analyzed <INSTRUMENT>: N breakouts". close_usd converts the close (quoted in the pair's
// second currency) with the newest monthly rates in --rates-dir (fx_YYYY_MM.csv,
// currency,rate_to_usd), which the fx_rates stage keeps up to date (seed 000 section 5).
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "stage_common.hpp"
#include "util/paths.hpp"

namespace {

using namespace stage;

struct Rates {
  std::string file;
  std::map<std::string, double> to_usd;
};

// The newest fx_YYYY_MM.csv in dir (the names sort by month).
Rates newest_rates(const fs::path& dir) {
  fs::path newest;
  if (fs::is_directory(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string n = pipeline::path_text(e.path().filename());
      if (n.size() == 14 && n.rfind("fx_", 0) == 0 && n.substr(10) == ".csv" &&
          (newest.empty() || n > pipeline::path_text(newest.filename()))) {
        newest = e.path();
      }
    }
  }
  if (newest.empty()) {
    throw StageError{kDataError,
                     "no exchange rates (fx_YYYY_MM.csv) in " + pipeline::path_text(dir)};
  }
  Rates r{pipeline::path_text(newest), {{"USD", 1.0}}};
  read_csv(newest, "currency,rate_to_usd", [&](const auto& f, std::size_t line) {
    if (f.size() != 2) {
      throw StageError{kDataError, pipeline::path_text(newest) + ":" + std::to_string(line) +
                                       ": expected 2 fields"};
    }
    r.to_usd[std::string(f[0])] = parse_number(f[1], newest, line, "rate_to_usd");
  });
  return r;
}

struct Day {
  std::string date;
  double high, low, close;
};

int analyze(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"out", "lookback", "rates-dir"});
  fs::path out = args.path("out");
  Rates rates = newest_rates(args.path("rates-dir"));
  std::cout << "rates from " << rates.file << std::endl;
  long lookback = args.number("lookback", 5, 1, 1000);
  if (args.inputs.empty()) throw StageError{kUsage, "no input files given"};
  fs::create_directories(out);
  for (const auto& file : args.inputs) {
    std::vector<Day> days;
    read_csv(file, "date,open,high,low,close,volume,ticks", [&](const auto& f, std::size_t line) {
      if (f.size() != 7) {
        throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                         ": expected 7 fields, found " + std::to_string(f.size())};
      }
      Day d{std::string(f[0]), parse_number(f[2], file, line, "high"),
            parse_number(f[3], file, line, "low"), parse_number(f[4], file, line, "close")};
      if (d.low > d.high) {
        throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                         ": low is above high"};
      }
      if (!days.empty() && d.date <= days.back().date) {
        throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                         ": dates are not in increasing order"};
      }
      days.push_back(d);
    });
    std::string instrument = pipeline::path_text(file.stem());
    std::string quote = instrument.size() >= 6 ? instrument.substr(3, 3) : "";
    auto rate = rates.to_usd.find(quote);
    if (rate == rates.to_usd.end()) {
      throw StageError{kDataError, rates.file + " has no rate for " +
                                       (quote.empty() ? instrument : quote) + " (" + instrument +
                                       ")"};
    }
    std::ostringstream csv;
    csv.precision(10);
    csv << "instrument,date,direction,close,channel_high,channel_low,close_usd\n";
    int breakouts = 0;
    for (std::size_t i = static_cast<std::size_t>(lookback); i < days.size(); ++i) {
      double hi = days[i - 1].high, lo = days[i - 1].low;
      for (std::size_t k = i - static_cast<std::size_t>(lookback); k < i; ++k) {
        hi = std::max(hi, days[k].high);
        lo = std::min(lo, days[k].low);
      }
      const char* direction = days[i].close > hi ? "up" : (days[i].close < lo ? "down" : nullptr);
      if (!direction) continue;
      ++breakouts;
      csv << instrument << ',' << days[i].date << ',' << direction << ',' << days[i].close << ','
          << hi << ',' << lo << ',' << days[i].close * rate->second << '\n';
    }
    write_atomic(out / pipeline::path_from_text(instrument + "_breakouts.csv"), csv.str());
    std::cout << "analyzed " << instrument << ": " << breakouts << " breakouts" << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("analyze", analyze, argc, argv);
}
