// Every record's path comes from RecordLayout, and the run id is read back from its names.
#include <catch2/catch.hpp>

#include "records/record_layout.hpp"
#include "support/abs_path.hpp"
#include "util/run_id.hpp"

using namespace pipeline;

TEST_CASE("record layout: the paths of SPEC 5-8", "[layout]") {
  const RecordLayout layout("/l"_abs, "/s");
  const TimePoint t = parse_rfc3339("2026-12-02T03:04:05Z").value();
  const std::string id = make_run_id(t);
  const std::string stamp = file_stamp(t);

  CHECK(layout.event_log(id) == fs::path("/l/events/pipeline_"_abs + id + ".jsonl"));
  CHECK(layout.report(id, t) ==
        fs::path("/l/reports/pipeline_report_"_abs + stamp + "_" + id + ".json"));
  CHECK(layout.run_log(id, t) == fs::path("/l/pipeline_"_abs + stamp + "_" + id + ".log"));
  CHECK(layout.stage_logs(id) == fs::path("/l/stages/"_abs + id));
  CHECK(layout.stage_logs(id, "B1") == fs::path("/l/stages/"_abs + id + "/B1"));
  CHECK(RecordLayout::stage_output("/d", "load", 1, "stdout") == fs::path("/d/load.stdout.log"));
  CHECK(RecordLayout::stage_output("/d", "load", 3, "stderr") ==
        fs::path("/d/load.attempt3.stderr.log"));
  CHECK(RecordLayout::inputs_file("/d", "load") == fs::path("/d/load.inputs"));
  CHECK(layout.inputs_fallback(id, "load") == fs::path("/s/inputs/" + id + "/load.inputs"));
  CHECK(layout.lock_file() == fs::path("/s/runner.lock"));
  CHECK(layout.history_db() == fs::path("/s/pipeline.db"));
  CHECK(layout.moves_dir() == fs::path("/s/moves"));
}

TEST_CASE("record layout: run ids read back from names, never from look-alikes", "[layout]") {
  const TimePoint t = parse_rfc3339("2026-12-02T03:04:05Z").value();
  const std::string id = make_run_id(t);
  const RecordLayout layout("/l"_abs, "/s");

  CHECK(RecordLayout::run_id_of_report(layout.report(id, t).filename().string()) == id);
  CHECK(RecordLayout::run_id_in_name(layout.event_log(id).filename().string(), ".jsonl") == id);
  CHECK(RecordLayout::run_id_in_name(layout.run_log(id, t).filename().string(), ".log") == id);

  CHECK_FALSE(RecordLayout::run_id_of_report("pipeline_report_" + id + ".json"));  // no stamp
  CHECK_FALSE(RecordLayout::run_id_of_report("other_report_" + file_stamp(t) + "_" + id + ".json"));
  CHECK_FALSE(RecordLayout::run_id_of_report(layout.report(id, t).filename().string() + ".tmp1"));
  CHECK_FALSE(RecordLayout::run_id_in_name("pipeline_" + id + ".json", ".jsonl"));
  std::string bad = id;
  bad[0] = 'x';
  CHECK_FALSE(RecordLayout::run_id_in_name("pipeline_" + bad + ".jsonl", ".jsonl"));
  CHECK_FALSE(RecordLayout::run_id_in_name(".jsonl", ".jsonl"));
}
