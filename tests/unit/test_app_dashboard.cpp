// The dashboard page as text: what it shows, how it links, and that nothing a stage printed
// can become markup.
#include <catch2/catch.hpp>

#include "app/dashboard.hpp"
#include "support/abs_path.hpp"

using namespace pipeline;

namespace {

RunSummary run(const std::string& id, const std::string& status, const std::string& at) {
  RunSummary r;
  r.run_id = id;
  r.status = status;
  r.started_at = at;
  r.duration_ms = 1500;
  r.report = "/srv/p/logs/reports"_abs + "/pipeline_report_" + id + ".json";
  r.stages = {{"extract", status == "success" ? "succeeded" : "failed", ""}};
  return r;
}

DashboardData sample() {
  DashboardData d;
  d.status.pipeline = "sales";
  d.status.config = "/srv/p/config/pipeline.yaml";
  d.status.now = TimePoint(std::chrono::hours(24 * 20400));
  d.host = "etl-1";
  d.out_dir = "/srv/p/logs/dashboard"_abs;
  d.logs = "/srv/p/logs"_abs;
  d.stage_names = {"extract", "load"};
  d.runs = {run("r3", "failure", "2025-11-08T10:30:00.000+00:00"),
            run("r2", "success", "2025-11-08T10:15:00.000+00:00"),
            run("r1", "partial", "2025-11-08T10:00:00.000+00:00")};
  d.status.health.last = d.runs[0];
  d.status.health.streak_failed = 1;
  d.status.health.streak_first = d.runs[0];
  d.status.health.runs_by_status = {{"failure", 1}, {"success", 1}, {"partial", 1}};
  d.status.verdict = Verdict::kFailing;
  d.timings = {{"r1", 0, "extract", "", "failed", 1200},
               {"r2", 1, "extract", "", "succeeded", 900},
               {"r3", 2, "extract", "", "failed", 4000}};
  d.days = {{20400, "success", 1}, {20400, "failure", 1}, {20400, "partial", 1}};
  RunReport bad;
  bad.run_id = "r3";
  bad.status = RunStatus::kFailure;
  bad.started_at = TimePoint(std::chrono::hours(24 * 20400));
  bad.errors = {"<b>not bold</b>"};
  StageRecord s;
  s.name = "extract";
  s.status = StageStatus::kFailed;
  AttemptRecord a;
  a.exit_code = 3;
  a.stderr_tail = {"<script>alert('x')</script>", "a & b \"quoted\""};
  a.stderr_log = "logs/stages/r3/extract.stderr.log";
  s.attempts = {a};
  bad.stages = {s};
  d.failures = {bad};
  return d;
}

}  // namespace

TEST_CASE("the dashboard shows the status, the runs, the failures and the stages' durations",
          "[app][dashboard]") {
  const std::string page = render_dashboard(sample());
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(page, Catch::Contains("<title>sales: failing</title>"));
  CHECK_THAT(page, Catch::Contains("id=\"verdict\""));
  CHECK_THAT(
      page,
      Catch::Contains(
          "failing since</dt><dd id=\"streak\">2025-11-08T10:30:00.000+00:00 (1 failed run)"));
  CHECK_THAT(page, Catch::Contains("data-run=\"r1\"") && Catch::Contains("data-run=\"r2\"") &&
                       Catch::Contains("data-run=\"r3\""));
  CHECK_THAT(page, Catch::Contains("<b>extract</b> <span class=\"muted\">last 4.00s"));
  CHECK_THAT(page, Catch::Contains("exit 3 after 1 attempt"));
  // Three runs on the timeline, one cell each, coloured by status.
  std::size_t cells = 0;
  for (std::size_t at = page.find("data-status="); at != std::string::npos;
       at = page.find("data-status=", at + 1)) {
    ++cells;
  }
  CHECK(cells == 3);
}

TEST_CASE("the dashboard links relative to its own folder", "[app][dashboard]") {
  const std::string page = render_dashboard(sample());
  CHECK_THAT(page, Catch::Contains("href=\"../reports/pipeline_report_r3.json\""));
  CHECK_THAT(page, Catch::Contains("href=\"../events/pipeline_r3.jsonl\""));
  CHECK_THAT(page, Catch::Contains("href=\"../stages/r3/extract.stderr.log\""));
  DashboardData elsewhere = sample();
  elsewhere.out_dir = "/var/www/pipeline"_abs;
  CHECK_THAT(render_dashboard(elsewhere),
             Catch::Contains("href=\"../../../srv/p/logs/reports/pipeline_report_r3.json\""));
}

TEST_CASE("nothing a stage printed becomes markup, and nothing is fetched from anywhere",
          "[app][dashboard]") {
  const std::string page = render_dashboard(sample());
  CHECK(page.find("<script") == std::string::npos);
  CHECK_THAT(page, Catch::Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  CHECK_THAT(page, Catch::Contains("a &amp; b &quot;quoted&quot;"));
  CHECK_THAT(page, Catch::Contains("&lt;b&gt;not bold&lt;/b&gt;"));
  for (const char* remote : {"http:", "https:", "src=", "@import", "url(", "<link", "<iframe"}) {
    INFO(remote);
    CHECK(page.find(remote) == std::string::npos);
  }
}

TEST_CASE("an empty history draws an empty page, not a broken one", "[app][dashboard]") {
  DashboardData d;
  d.status.pipeline = "new";
  d.status.verdict = Verdict::kStale;
  d.out_dir = "/p/logs/dashboard"_abs;
  d.logs = "/p/logs"_abs;
  const std::string page = render_dashboard(d);
  CHECK_THAT(page, Catch::Contains("No run on record yet."));
  CHECK_THAT(page, Catch::Contains("No failing run among the runs shown."));
  CHECK_THAT(page, Catch::Contains("</html>"));
}

TEST_CASE("the time windows section shows each windowed stage's watermark and what is open",
          "[app][dashboard][windows]") {
  DashboardData d = sample();
  CHECK_THAT(render_dashboard(d), Catch::Contains("No stage of this pipeline has time windows."));
  WindowSummary behind;
  behind.stage = "extract";
  behind.watermark = TimePoint(std::chrono::hours(24 * 20399));
  behind.open = 7;
  behind.next_due = TimePoint(std::chrono::hours(24 * 20400 + 2));
  WindowSummary fresh;
  fresh.stage = "<load>";
  d.status.windows = {behind, fresh};
  const std::string page = render_dashboard(d);
  CHECK_THAT(page, !Catch::Contains("No stage of this pipeline has time windows."));
  CHECK_THAT(page, Catch::Contains(
                       "<tr data-stage=\"extract\"><td class=\"mono\">extract</td><td>" +
                       format_rfc3339(*behind.watermark) + "</td><td class=\"behind\">7</td>"));
  CHECK_THAT(page, Catch::Contains("&lt;load&gt;</td><td>none yet</td><td>0</td><td>-</td>"));
  d.status.windows_error = "database disk image is malformed";
  CHECK_THAT(render_dashboard(d), Catch::Contains("The state store cannot be read: database disk "
                                                  "image is malformed"));
}

TEST_CASE("the dashboard lists what the last run quarantined, and why",
          "[app][dashboard][foreach]") {
  DashboardData d = sample();
  CHECK_THAT(render_dashboard(d), !Catch::Contains("Quarantined by the last run"));
  RunReport last;
  last.quarantined.push_back(
      {"each", "in/<a>.csv", "q/<a>.csv", 3, {"r1", "r2", "r3"}, "exit 3", "quarantined", ""});
  last.quarantined.push_back({"each", "in/b.csv", "", 3, {}, "exit 3", "failed", "disk full"});
  d.status.last_report = last;
  const std::string page = render_dashboard(d);
  CHECK_THAT(page, Catch::Contains("Quarantined by the last run"));
  CHECK_THAT(page, Catch::Contains("<td class=\"mono\">in/&lt;a&gt;.csv</td><td class=\"mono\">"
                                   "q/&lt;a&gt;.csv</td><td>3</td><td>exit 3</td>"));
  CHECK_THAT(page, Catch::Contains("not moved: disk full"));
}
