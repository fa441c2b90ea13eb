// The dashboard as an operator sees it: the page the runner wrote, opened from disk in
// headless Chromium (Debian's), its rendered DOM checked against `audit list`, a screenshot
// kept in the build tree, and every request the page made read back from Chromium's network
// log: a page that asked anything of the network fails.
#include <catch2/catch.hpp>
#include <cstdio>

#include "support/e2e_posix.hpp"

using namespace pipeline::testing;

namespace {

const char* const kChromium = "/usr/bin/chromium";

// Chromium reaches for outside hosts on its own (update and account checks): it runs in a
// network namespace of its own with only loopback up, so nothing it does leaves the machine.
const std::string kLoopbackOnly = "unshare -n sh -c 'ip link set lo up && exec \"$0\" \"$@\"'";

struct Browser {
  TempDir home;
  int runs = 0;

  // Chromium with its own profile and a network log; its stdout.
  std::string run(const std::string& what, const std::string& url) {
    REQUIRE(fs::exists(kChromium));  // the README's test command installs it
    fs::path profile = home / ("profile" + std::to_string(++runs));
    std::string cmd = "HOME=" + quote(home.path().string()) + " " + kLoopbackOnly + " " +
                      kChromium +
                      " --headless=new --no-sandbox --disable-gpu --no-first-run"
                      " --window-size=1200,1800 --user-data-dir=" +
                      quote(profile.string()) + " --log-net-log=" + quote(net_log().string()) +
                      " " + what + " " + quote(url) + " 2>/dev/null";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    REQUIRE(::pclose(pipe) == 0);
    return out;
  }

  fs::path net_log() const { return home / ("net" + std::to_string(runs) + ".json"); }

  // Every URL a page asked for (the browser's own housekeeping, which has no initiating
  // document, is not the page's doing and is left out), the page itself and file:// aside.
  std::vector<std::string> page_requests() const {
    json log = json::parse(slurp(net_log()));
    int start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    std::vector<std::string> out;
    for (const auto& e : log["events"]) {
      if (e["type"] != start_job || !e.contains("params")) continue;
      const json& p = e["params"];
      const std::string url = p.value("url", "");
      if (url.empty() || url.rfind("file:", 0) == 0) continue;
      if (p.value("initiator", "") == "not an origin") continue;
      out.push_back(url);
    }
    return out;
  }
};

void dashboard_project(Project& p) {
  p.config(R"yaml(stages:
  - name: extract
    command: ["sh", "-c", "echo '<script>alert(1)</script> upstream refused' >&2; exit $$(cat outcome)"]
    cwd: "${root}"
  - name: load
    command: ["sh", "-c", "sleep 0.05"]
    when: {after: [extract]}
schedule: {every: 15m}
)yaml");
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("e2e: the dashboard in headless Chromium shows the runs and failures audit list has",
          "[e2e][dashboard]") {
  Project p;
  dashboard_project(p);
  for (int outcome : {0, 3, 0, 3, 3}) {
    write_file(p.home() / "outcome", std::to_string(outcome) + "\n");
    p.run("--run-once -q");
  }
  const fs::path page = p.home() / "logs" / "dashboard" / "index.html";
  REQUIRE(fs::exists(page));
  json list = json::parse(p.run("audit list --json").out);
  REQUIRE(list.size() == 5);

  Browser chromium;
  const std::string dom = chromium.run("--dump-dom", "file://" + page.string());
  CHECK(chromium.page_requests().empty());
  // The status at the top: failing, two failed runs since the fourth run.
  CHECK_THAT(dom, Catch::Contains(">failing</span>"));
  CHECK_THAT(dom, Catch::Contains(list[1]["started_at"].get<std::string>() + " (2 failed runs)"));
  // Every run audit list has is a row, and a cell of the timeline.
  for (const auto& run : list) {
    CHECK_THAT(dom, Catch::Contains("data-run=\"" + run["run_id"].get<std::string>() + "\""));
  }
  CHECK(count(dom, "data-status=\"failure\"") == 3);
  CHECK(count(dom, "data-status=\"success\"") == 2);
  // The failures with their stderr, as text: the stage's "<script>" is not an element.
  CHECK(count(dom, "class=\"failure\"") == 3);
  CHECK_THAT(dom, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt; upstream refused"));
  CHECK(dom.find("<script") == std::string::npos);
  CHECK_THAT(dom,
             Catch::Contains("data-stage=\"extract\"") && Catch::Contains("data-stage=\"load\""));

  // Each link the page has leads to a file that is there.
  std::size_t links = 0;
  for (std::size_t at = dom.find("href=\""); at != std::string::npos;
       at = dom.find("href=\"", at + 1)) {
    std::string href = dom.substr(at + 6, dom.find('"', at + 6) - at - 6);
    INFO(href);
    CHECK(fs::exists(page.parent_path() / href));
    ++links;
  }
  CHECK(links >= 5 * 3);

  // A screenshot for people, in the build tree.
  const fs::path shot = fs::path(PIPELINE_RUNNER_PATH).parent_path().parent_path().parent_path() /
                        "screenshots" / "dashboard.png";
  fs::create_directories(shot.parent_path());
  fs::remove(shot);
  chromium.run("--screenshot=" + quote(shot.string()), "file://" + page.string());
  CHECK(chromium.page_requests().empty());
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 10'000);
  CHECK(slurp(shot).substr(1, 3) == "PNG");
}

TEST_CASE("e2e: Chromium runs where only loopback is up", "[e2e][dashboard]") {
  // The wrapper the browser runs under, asked which interfaces it has: lo, and it is up.
  FILE* pipe = ::popen((kLoopbackOnly + " cat /proc/net/dev").c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  REQUIRE(::pclose(pipe) == 0);
  std::vector<std::string> interfaces;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (auto colon = line.find(':');
        colon != std::string::npos && line.find('|') == std::string::npos) {
      std::istringstream name(line.substr(0, colon));
      interfaces.emplace_back();
      name >> interfaces.back();
    }
  }
  CHECK(interfaces == std::vector<std::string>{"lo"});
}

TEST_CASE("e2e: the network check sees a page that fetches something", "[e2e][dashboard]") {
  // The same check on a page with an image from the network (a loopback port nobody
  // listens on): it must be seen, or the check above proves nothing.
  TempDir dir;
  write_file(dir / "remote.html",
             "<!DOCTYPE html><p>x</p><img src=\"http://127.0.0.1:9/pixel.png\">");
  Browser chromium;
  chromium.run("--dump-dom", "file://" + (dir / "remote.html").string());
  CHECK(chromium.page_requests() == std::vector<std::string>{"http://127.0.0.1:9/pixel.png"});
}

TEST_CASE("e2e: dashboard --out writes the page elsewhere, with links that still lead home",
          "[e2e][dashboard]") {
  Project p;
  dashboard_project(p);
  write_file(p.home() / "outcome", "3\n");
  p.run("--run-once -q");
  const fs::path out = p.dir / "share" / "pipeline";
  Result r = p.run("dashboard --out " + quote(out.string()));
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("index.html"));
  const std::string html = slurp(out / "index.html");
  std::size_t links = 0;
  for (std::size_t at = html.find("href=\""); at != std::string::npos;
       at = html.find("href=\"", at + 1)) {
    std::string href = html.substr(at + 6, html.find('"', at + 6) - at - 6);
    INFO(href);
    CHECK(fs::exists(out / href));
    ++links;
  }
  CHECK(links >= 3);
  // A folder that cannot be written is said, exit 3.
  write_file(p.dir / "blocked", "a file, not a folder");
  Result bad = p.run("dashboard --out " + quote((p.dir / "blocked" / "x").string()));
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains("the dashboard is not written"));
}
