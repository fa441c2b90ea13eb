// translate_raw: raw tick CSVs (timestamp,price,volume) -> one file of daily bars per
// instrument in --out (date,open,high,low,close,volume,ticks). The instrument is the input
// file name up to its first '_' (EURUSD_20250106.csv -> EURUSD). Bars already in the output
// for other days are kept; days present in the new ticks are rebuilt. Prints
// "processed <INSTRUMENT>" once per instrument written.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>
#include <sstream>

#include "stage_common.hpp"
#include "util/paths.hpp"

namespace {

using namespace stage;

struct Bar {
  double open = 0, high = 0, low = 0, close = 0;
  long long volume = 0, ticks = 0;
  std::string first_ts, last_ts;
};

using Bars = std::map<std::string, Bar>;  // date -> bar

std::string instrument_of(const fs::path& file) {
  std::string stem = pipeline::path_text(file.stem());
  std::string name = stem.substr(0, stem.find('_'));
  bool ok = !name.empty() && name.size() <= 16;
  for (char& c : name) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ok = ok && std::isalnum(static_cast<unsigned char>(c));
  }
  if (!ok) {
    throw StageError{kDataError, pipeline::path_text(file) +
                                     ": cannot tell the instrument from the file "
                                     "name (want NAME.csv or NAME_anything.csv)"};
  }
  return name;
}

// "2025-01-06T09:30:00Z" (seconds optional fraction not allowed): the date part, validated.
std::string date_of(std::string_view ts, const fs::path& file, std::size_t line) {
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i) {
      if (i >= ts.size() || !std::isdigit(static_cast<unsigned char>(ts[i]))) return false;
    }
    return true;
  };
  bool ok = ts.size() == 20 && digits(0, 4) && ts[4] == '-' && digits(5, 2) && ts[7] == '-' &&
            digits(8, 2) && ts[10] == 'T' && digits(11, 2) && ts[13] == ':' && digits(14, 2) &&
            ts[16] == ':' && digits(17, 2) && ts[19] == 'Z';
  if (ok) {
    int month = std::stoi(std::string(ts.substr(5, 2))),
        day = std::stoi(std::string(ts.substr(8, 2)));
    ok = month >= 1 && month <= 12 && day >= 1 && day <= 31;
  }
  if (!ok) {
    throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                     ": timestamp '" + std::string(ts) +
                                     "' is not YYYY-MM-DDTHH:MM:SSZ"};
  }
  return std::string(ts.substr(0, 10));
}

void add_ticks(const fs::path& file, Bars& bars) {
  read_csv(file, "timestamp,price,volume", [&](const auto& f, std::size_t line) {
    if (f.size() != 3) {
      throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                       ": expected 3 "
                                       "fields, found " +
                                       std::to_string(f.size())};
    }
    std::string date = date_of(f[0], file, line);
    double price = parse_number(f[1], file, line, "price");
    double volume = parse_number(f[2], file, line, "volume");
    if (price <= 0) {
      throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                       ": price must be positive"};
    }
    if (volume < 0 || volume != static_cast<double>(static_cast<long long>(volume))) {
      throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                       ": volume must be a whole number >= 0"};
    }
    std::string ts(f[0]);
    Bar& b = bars[date];
    if (b.ticks == 0) {
      b = Bar{price, price, price, price, 0, 0, ts, ts};
    }
    if (ts < b.first_ts) b.first_ts = ts, b.open = price;
    if (ts >= b.last_ts) b.last_ts = ts, b.close = price;
    b.high = std::max(b.high, price);
    b.low = std::min(b.low, price);
    b.volume += static_cast<long long>(volume);
    b.ticks += 1;
  });
}

void read_existing(const fs::path& file, Bars& bars) {
  if (!fs::exists(file)) return;
  read_csv(file, "date,open,high,low,close,volume,ticks", [&](const auto& f, std::size_t line) {
    if (f.size() != 7) {
      throw StageError{kDataError, pipeline::path_text(file) + ":" + std::to_string(line) +
                                       ": expected 7 fields"};
    }
    Bar b;
    b.open = parse_number(f[1], file, line, "open");
    b.high = parse_number(f[2], file, line, "high");
    b.low = parse_number(f[3], file, line, "low");
    b.close = parse_number(f[4], file, line, "close");
    b.volume = static_cast<long long>(parse_number(f[5], file, line, "volume"));
    b.ticks = static_cast<long long>(parse_number(f[6], file, line, "ticks"));
    bars.emplace(std::string(f[0]), b);
  });
}

int translate(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"out"});
  fs::path out = args.path("out");
  if (args.inputs.empty()) throw StageError{kUsage, "no input files given"};
  std::map<std::string, std::vector<fs::path>> by_instrument;
  for (const auto& f : args.inputs) by_instrument[instrument_of(f)].push_back(f);
  // Validate every input before writing anything: a bad file leaves the outputs untouched.
  std::map<std::string, Bars> fresh;
  for (const auto& [instrument, files] : by_instrument) {
    for (const auto& f : files) add_ticks(f, fresh[instrument]);
  }
  fs::create_directories(out);
  for (auto& [instrument, bars] : fresh) {
    fs::path target = out / pipeline::path_from_text(instrument + ".csv");
    Bars merged;
    read_existing(target, merged);
    for (auto& [date, bar] : bars) merged[date] = bar;
    std::ostringstream csv;
    csv.precision(10);
    csv << "date,open,high,low,close,volume,ticks\n";
    for (const auto& [date, b] : merged) {
      csv << date << ',' << b.open << ',' << b.high << ',' << b.low << ',' << b.close << ','
          << b.volume << ',' << b.ticks << '\n';
    }
    write_atomic(target, csv.str());
    std::cout << "processed " << instrument << std::endl;
  }
  std::cout << "translated " << args.inputs.size() << " files into " << fresh.size()
            << " instruments" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("translate_raw", translate, argc, argv);
}
