#include "records/report_json.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

json optional_int(const std::optional<int>& v) {
  return v ? json(*v) : json(nullptr);
}

json optional_time(const std::optional<TimePoint>& t) {
  return t ? json(format_rfc3339(*t)) : json(nullptr);
}

json window_json(const std::optional<WindowRef>& w) {
  if (!w) return nullptr;
  return {{"id", w->id}, {"start", format_rfc3339(w->start)}, {"end", format_rfc3339(w->end)}};
}

json item_json(const std::optional<ItemRef>& i) {
  if (!i) return nullptr;
  return {{"index", i->index}, {"input", i->input}};
}

json attempt_json(const AttemptRecord& a) {
  return {
      {"attempt", a.attempt},
      {"started_at", format_rfc3339(a.started_at)},
      {"finished_at", format_rfc3339(a.finished_at)},
      {"duration_ms", a.duration.count()},
      {"exit_code", optional_int(a.exit_code)},
      {"signal", optional_int(a.signal)},
      {"timed_out", a.timed_out},
      {"hung", a.hung},
      {"completed_by", a.completed_by.empty() ? json(nullptr) : json(a.completed_by)},
      {"terminated", a.terminated},
      {"left_processes", a.left_processes},
      {"start_error", a.start_error.empty() ? json(nullptr) : json(a.start_error)},
      {"error", a.error.empty() ? json(nullptr) : json(a.error)},
      {"count_error", a.count_error.empty() ? json(nullptr) : json(a.count_error)},
      {"counts", a.counts},
      {"stdout_tail", a.stdout_tail},
      {"stderr_tail", a.stderr_tail},
      {"stdout_log", a.stdout_log},
      {"stderr_log", a.stderr_log},
  };
}

}  // namespace

json decision_to_json(const StageDecision& d) {
  json out = {{"run", d.run}, {"reason", d.reason}};
  if (!d.warnings.empty()) out["warnings"] = d.warnings;
  return out;
}

json window_summary_to_json(const WindowSummary& w) {
  return {{"stage", w.stage},
          {"watermark", optional_time(w.watermark)},
          {"open", w.open},
          {"next_due", optional_time(w.next_due)}};
}

json report_to_json(const RunReport& r) {
  json stages = json::array();
  for (const auto& s : r.stages) {
    json attempts = json::array();
    for (const auto& a : s.attempts) attempts.push_back(attempt_json(a));
    stages.push_back({
        {"name", s.name},
        {"batch", s.batch.empty() ? json(nullptr) : json(s.batch)},
        {"window", window_json(s.window)},
        {"item", item_json(s.item)},
        {"decision", decision_to_json(s.decision)},
        {"status", to_string(s.status)},
        {"inputs_count", s.inputs_count},
        {"inputs", s.inputs},
        {"metrics",
         {{"items_done", s.items_done},
          {"items", s.items ? json(*s.items) : json(nullptr)},
          {"stdout_bytes", s.stdout_bytes},
          {"stderr_bytes", s.stderr_bytes},
          {"counts", s.counts}}},
        {"attempts", attempts},
    });
  }
  json lifecycle = json::array();
  for (const auto& l : r.lifecycle) {
    lifecycle.push_back({{"action", l.action},
                         {"path", l.path},
                         {"to", l.to.empty() ? json(nullptr) : json(l.to)},
                         {"result", l.result},
                         {"error", l.error.empty() ? json(nullptr) : json(l.error)}});
  }
  const LifecycleSummary& ls = r.lifecycle_summary;
  json lifecycle_summary = {{"count", ls.count},
                            {"listed", r.lifecycle.size()},
                            {"results", ls.results},
                            {"list", ls.list.empty() ? json(nullptr) : json(ls.list)}};
  json batches = json::array();
  for (const auto& b : r.batches) {
    batches.push_back({{"id", b.id},
                       {"status", b.status},
                       {"moved_to", b.moved_to.empty() ? json(nullptr) : json(b.moved_to)},
                       {"manifest", b.manifest},
                       {"error", b.error.empty() ? json(nullptr) : json(b.error)},
                       {"reclaimed", b.reclaimed}});
  }
  json quarantined = json::array();
  for (const auto& q : r.quarantined) {
    quarantined.push_back(
        {{"stage", q.stage},
         {"input", q.input},
         {"to", q.to.empty() ? json(nullptr) : json(q.to)},
         {"failures", q.failures},
         {"runs", q.runs},
         {"error", q.error},
         {"result", q.result},
         {"move_error", q.move_error.empty() ? json(nullptr) : json(q.move_error)}});
  }
  json windows = json::array();
  for (const auto& w : r.windows) {
    json one = window_summary_to_json(w);
    one["ran"] = w.ran;
    windows.push_back(std::move(one));
  }
  return {
      {"schema", kReportSchema},
      {"run_id", r.run_id},
      {"pipeline", r.pipeline},
      {"status", to_string(r.status)},
      {"exit_code", r.exit_code},
      {"started_at", format_rfc3339(r.started_at)},
      {"finished_at", format_rfc3339(r.finished_at)},
      {"duration_ms", report_duration_ms(r)},
      {"host", r.host},
      {"pid", r.pid},
      {"runner_version", r.runner_version.empty() ? kRunnerVersion : r.runner_version},
      {"config", {{"path", r.config_path}, {"sha256", r.config_sha256}}},
      {"stages", stages},
      {"lifecycle", lifecycle},
      {"lifecycle_summary", lifecycle_summary},
      {"batches", batches},
      {"windows", windows},
      {"quarantined", quarantined},
      {"errors", r.errors},
      {"recovered", r.recovered ? json{{"run_id", r.recovered->run_id},
                                       {"pid", r.recovered->pid},
                                       {"host", r.recovered->host},
                                       {"started_at", r.recovered->started_at},
                                       {"killed", r.recovered->killed},
                                       {"report_missing", r.recovered->report_missing}}
                                : json(nullptr)},
  };
}

namespace {

/// One JSON object of a report, read field by field; errors name the path to the field.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail("", "expected an object");
  }

  const json& at(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) fail(key, "missing");
    return *it;
  }
  std::string text(const char* key) const { return typed<std::string>(key, "a string"); }
  /// A string; null or absent for "none".
  std::string text_or_empty(const char* key) const {
    return !has(key) || at(key).is_null() ? std::string() : text(key);
  }
  bool flag(const char* key) const { return typed<bool>(key, "true or false"); }
  /// A flag that an older report of the same schema may not have: absent is false.
  bool flag_or_false(const char* key) const { return has(key) && flag(key); }
  /// A list that an older report of the same schema may not have: absent is empty.
  const json& array_or_empty(const char* key) const {
    static const json kEmpty = json::array();
    return has(key) ? array(key) : kEmpty;
  }
  template <typename Int>
  Int number(const char* key) const {
    const json& v = at(key);
    if (!v.is_number_integer()) fail(key, "expected a whole number");
    return v.get<Int>();
  }
  template <typename Int>
  std::optional<Int> number_or_null(const char* key) const {
    if (at(key).is_null()) return std::nullopt;
    return number<Int>(key);
  }
  TimePoint time(const char* key) const {
    auto t = parse_rfc3339(text(key));
    if (!t) fail(key, "not an RFC 3339 time");
    return *t;
  }
  std::vector<std::string> texts(const char* key) const {
    std::vector<std::string> out;
    for (const auto& v : array(key)) {
      if (!v.is_string()) fail(key, "expected a list of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  bool has(const char* key) const { return j_.contains(key); }
  /// {"name": whole number, ...}
  std::map<std::string, std::int64_t> counts(const char* key) const {
    const json& v = at(key);
    if (!v.is_object()) fail(key, "expected an object of counts");
    std::map<std::string, std::int64_t> out;
    for (const auto& [name, n] : v.items()) {
      if (!n.is_number_integer()) fail(key, "expected whole numbers");
      out[name] = n.get<std::int64_t>();
    }
    return out;
  }
  const json& array(const char* key) const {
    const json& v = at(key);
    if (!v.is_array()) fail(key, "expected a list");
    return v;
  }
  Fields object(const char* key) const { return Fields(at(key), path(key)); }
  Fields item(const char* key, std::size_t i) const {
    return Fields(array(key)[i], path(key) + "[" + std::to_string(i) + "]");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    std::string at_path = path(key);
    throw ReportError((at_path.empty() ? std::string("the report") : at_path) + ": " + what);
  }

 private:
  std::string path(const std::string& key) const {
    if (key.empty()) return where_;
    return where_.empty() ? key : where_ + "." + key;
  }
  template <typename T>
  T typed(const char* key, const char* expected) const {
    const json& v = at(key);
    bool ok = std::is_same_v<T, bool> ? v.is_boolean() : v.is_string();
    if (!ok) fail(key, std::string("expected ") + expected);
    return v.get<T>();
  }

  const json& j_;
  std::string where_;
};

// An older report has no summary: its lifecycle list was the whole of it.
LifecycleSummary lifecycle_summary_from(const Fields& report,
                                        const std::vector<LifecycleRecord>& listed) {
  LifecycleSummary s;
  if (!report.has("lifecycle_summary")) {
    s.count = listed.size();
    for (const auto& l : listed) ++s.results[l.result];
    return s;
  }
  Fields f = report.object("lifecycle_summary");
  s.count = f.number<std::size_t>("count");
  s.list = f.text_or_empty("list");
  const json& results = f.at("results");
  if (!results.is_object()) f.fail("results", "expected an object");
  for (const auto& [result, n] : results.items()) {
    if (!n.is_number_unsigned()) f.fail("results", "expected counts");
    s.results[result] = n.get<std::size_t>();
  }
  return s;
}

AttemptRecord attempt_from(const Fields& f) {
  AttemptRecord a;
  a.attempt = f.number<int>("attempt");
  a.started_at = f.time("started_at");
  a.finished_at = f.time("finished_at");
  a.duration = Millis(f.number<std::int64_t>("duration_ms"));
  a.exit_code = f.number_or_null<int>("exit_code");
  a.signal = f.number_or_null<int>("signal");
  a.timed_out = f.flag_or_false("timed_out");
  a.hung = f.flag_or_false("hung");
  a.completed_by = f.text_or_empty("completed_by");
  a.terminated = f.flag_or_false("terminated");
  a.left_processes = f.flag_or_false("left_processes");
  a.start_error = f.text_or_empty("start_error");
  a.error = f.text_or_empty("error");
  if (f.has("count_error")) a.count_error = f.text_or_empty("count_error");
  if (f.has("counts")) a.counts = f.counts("counts");
  if (f.has("stdout_tail")) a.stdout_tail = f.texts("stdout_tail");
  if (f.has("stderr_tail")) a.stderr_tail = f.texts("stderr_tail");
  a.stdout_log = f.text("stdout_log");
  a.stderr_log = f.text("stderr_log");
  return a;
}

StageRecord stage_from(const Fields& f) {
  StageRecord s;
  s.name = f.text("name");
  s.batch = f.text_or_empty("batch");
  if (f.has("window") && !f.at("window").is_null()) {
    Fields w = f.object("window");
    s.window = WindowRef{w.text("id"), w.time("start"), w.time("end")};
  }
  if (f.has("item") && !f.at("item").is_null()) {
    Fields i = f.object("item");
    s.item = ItemRef{i.number<std::size_t>("index"), i.text("input")};
  }
  Fields d = f.object("decision");
  s.decision.run = d.flag("run");
  s.decision.reason = d.text("reason");
  if (d.has("warnings")) s.decision.warnings = d.texts("warnings");
  auto status = stage_status_from_string(f.text("status"));
  if (!status) f.fail("status", "not a stage status");
  s.status = *status;
  s.inputs_count = f.number<std::size_t>("inputs_count");
  s.inputs = f.texts("inputs");
  Fields m = f.object("metrics");
  s.items_done = m.number<std::size_t>("items_done");
  s.items = m.number_or_null<std::size_t>("items");
  s.stdout_bytes = m.number<std::uint64_t>("stdout_bytes");
  s.stderr_bytes = m.number<std::uint64_t>("stderr_bytes");
  if (m.has("counts")) s.counts = m.counts("counts");
  for (std::size_t i = 0; i < f.array("attempts").size(); ++i) {
    s.attempts.push_back(attempt_from(f.item("attempts", i)));
  }
  return s;
}

}  // namespace

RunReport report_from_json(const json& j) {
  Fields f(j, "");
  if (f.text("schema") != kReportSchema) f.fail("schema", "not " + std::string(kReportSchema));
  RunReport r;
  r.run_id = f.text("run_id");
  r.pipeline = f.text("pipeline");
  auto status = run_status_from_string(f.text("status"));
  if (!status) f.fail("status", "not a run status");
  r.status = *status;
  r.exit_code = f.number<int>("exit_code");
  r.started_at = f.time("started_at");
  r.finished_at = f.time("finished_at");
  r.duration = Millis(f.number<std::int64_t>("duration_ms"));
  r.host = f.text("host");
  r.pid = f.number<std::int64_t>("pid");
  r.runner_version = f.text_or_empty("runner_version");
  Fields config = f.object("config");
  r.config_path = config.text("path");
  r.config_sha256 = config.text("sha256");
  for (std::size_t i = 0; i < f.array("stages").size(); ++i) {
    r.stages.push_back(stage_from(f.item("stages", i)));
  }
  for (std::size_t i = 0; i < f.array_or_empty("lifecycle").size(); ++i) {
    Fields l = f.item("lifecycle", i);
    r.lifecycle.push_back({l.text("action"), l.text("path"), l.text_or_empty("to"),
                           l.text("result"), l.text_or_empty("error")});
  }
  r.lifecycle_summary = lifecycle_summary_from(f, r.lifecycle);
  for (std::size_t i = 0; i < f.array_or_empty("batches").size(); ++i) {
    Fields b = f.item("batches", i);
    r.batches.push_back({b.text("id"), b.text("status"), b.text_or_empty("moved_to"),
                         b.text_or_empty("manifest"), b.text_or_empty("error"),
                         b.flag_or_false("reclaimed")});
  }
  for (std::size_t i = 0; i < f.array_or_empty("windows").size(); ++i) {
    Fields w = f.item("windows", i);
    WindowSummary ws;
    ws.stage = w.text("stage");
    if (!w.at("watermark").is_null()) ws.watermark = w.time("watermark");
    ws.open = w.number<std::size_t>("open");
    ws.ran = w.number<std::size_t>("ran");
    if (!w.at("next_due").is_null()) ws.next_due = w.time("next_due");
    r.windows.push_back(std::move(ws));
  }
  for (std::size_t i = 0; i < f.array_or_empty("quarantined").size(); ++i) {
    Fields q = f.item("quarantined", i);
    r.quarantined.push_back({q.text("stage"), q.text("input"), q.text_or_empty("to"),
                             q.number<int>("failures"), q.texts("runs"), q.text("error"),
                             q.text("result"), q.text_or_empty("move_error")});
  }
  if (f.has("errors")) r.errors = f.texts("errors");
  if (f.has("recovered") && !f.at("recovered").is_null()) {
    Fields rec = f.object("recovered");
    RecoveryRecord dead;
    dead.run_id = rec.text("run_id");
    dead.pid = rec.number<std::int64_t>("pid");
    dead.host = rec.text("host");
    dead.started_at = rec.text("started_at");
    for (const auto& pid : rec.array("killed")) {
      if (!pid.is_number_integer()) rec.fail("killed", "expected a list of whole numbers");
      dead.killed.push_back(pid.get<std::int64_t>());
    }
    dead.report_missing = rec.flag_or_false("report_missing");
    r.recovered = std::move(dead);
  }
  return r;
}

std::string dump_json(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

RunReport redacted_report(const RunReport& report, const Redactor& redact) {
  if (redact.empty()) return report;
  nlohmann::json j = report_to_json(report);
  redact.redact_json(j);
  return report_from_json(j);
}

}  // namespace pipeline
