// fetch_fx: makes sure the monthly exchange rates (seed 000 section 5) are in the reference
// folder. Idempotent: when --out exists it does nothing. Otherwise it takes fx_<MONTH>.csv
// from --source, checks it (currency,rate_to_usd; ISO codes, positive rates), and writes
// --out atomically. Exits 75 (EX_TEMPFAIL) when the month is not published yet, so the
// runner retries it with backoff and the next scheduled run tries again.
//
// --source is a local folder (the sample setup's stand-in for the IMF service) or an http(s)
// URL prefix; a URL is fetched with curl (`curl --fail`: HTTP 404 = not published yet).
#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>

#include "run_program.hpp"
#include "stage_common.hpp"
#include "util/paths.hpp"

namespace {

using namespace stage;

constexpr int kTempFail = 75;  // EX_TEMPFAIL

bool is_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// Runs curl without a shell; returns its exit status (22: the server answered >= 400).
int curl_to(const std::string& url, const fs::path& to) {
  std::vector<std::string> args = {
      "curl",       "--fail", "--silent", "--show-error",          "--location",
      "--max-time", "60",     "--output", pipeline::path_text(to), url};
  auto rc = run_program(args);
  if (!rc) throw StageError{kTempFail, "cannot start curl to fetch " + url};
  return *rc;
}

void check_rates(const fs::path& file) {
  std::set<std::string> seen;
  read_csv(file, "currency,rate_to_usd", [&](const auto& f, std::size_t line) {
    std::string where = pipeline::path_text(file) + ":" + std::to_string(line);
    if (f.size() != 2) throw StageError{kDataError, where + ": expected 2 fields"};
    std::string code(f[0]);
    if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) {
          return std::isupper(static_cast<unsigned char>(c));
        })) {
      throw StageError{kDataError, where + ": '" + code + "' is not a currency code"};
    }
    if (!seen.insert(code).second) throw StageError{kDataError, where + ": " + code + " twice"};
    if (parse_number(f[1], file, line, "rate_to_usd") <= 0) {
      throw StageError{kDataError, where + ": the rate must be positive"};
    }
  });
  if (seen.empty()) throw StageError{kDataError, pipeline::path_text(file) + ": no rates"};
}

int fetch_fx(int argc, char** argv) {
  Args args = parse_args(argc, argv, {"month", "source", "out"});
  std::string month = args.require("month");
  fs::path out = args.path("out");
  std::string source = args.require("source");
  if (month.size() != 7 || month[4] != '_') {
    throw StageError{kUsage, "--month " + month + ": expected YYYY_MM"};
  }
  if (fs::exists(out)) {
    std::cout << "fx rates for " << month << " already present: " << pipeline::path_text(out)
              << "\n";
    return 0;
  }
  std::string name = "fx_" + month + ".csv";
  fs::create_directories(out.parent_path());
  fs::path fetched = out.parent_path() / pipeline::path_from_text("." + name + ".fetch");
  std::string text;
  if (is_url(source)) {
    std::string url = source + (source.back() == '/' ? "" : "/") + name;
    int rc = curl_to(url, fetched);
    if (rc != 0) {
      fs::remove(fetched);
      throw StageError{kTempFail, rc == 22 ? "fx rates for " + month + " are not published yet (" +
                                                 url + " answered with an error)"
                                           : "cannot fetch " + url + " (curl exit " +
                                                 std::to_string(rc) + "); trying again later"};
    }
    check_rates(fetched);
    text = read_text(fetched);
    fs::remove(fetched);
  } else {
    fs::path file = pipeline::path_from_text(source) / pipeline::path_from_text(name);
    if (!fs::exists(file)) {
      throw StageError{kTempFail, "fx rates for " + month + " are not published yet (no " +
                                      pipeline::path_text(file) + ")"};
    }
    check_rates(file);
    text = read_text(file);
  }
  write_atomic(out, text);
  std::cout << "fetched fx rates for " << month << ": " << pipeline::path_text(out) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return stage::run_stage("fetch_fx", fetch_fx, argc, argv);
}
