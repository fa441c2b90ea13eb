#include "core/batch_loop.hpp"

#include "util/paths.hpp"

namespace pipeline {
namespace {

// Why a batch failed, from its stages' records: "merger failed (exit code 2)".
std::string batch_failure(const std::vector<StageRecord>& stages, std::size_t first) {
  std::string out;
  bool any_ran = false;
  for (std::size_t i = first; i < stages.size(); ++i) {
    const StageRecord& r = stages[i];
    if (!stage_ran(r.status)) continue;
    any_ran = true;
    if (r.status == StageStatus::kSucceeded) continue;
    std::string what = std::string(to_string(r.status));
    if (!r.attempts.empty()) {
      const AttemptRecord& a = r.attempts.back();
      if (!a.start_error.empty()) {
        what += " (" + a.start_error + ")";
      } else if (a.exit_code) {
        what += " (exit code " + std::to_string(*a.exit_code) + ")";
      } else if (a.signal) {
        what += " (signal " + std::to_string(*a.signal) + ")";
      }
    }
    out += (out.empty() ? "" : "; ") + r.name + " " + what;
  }
  if (!any_ran) return "no stage ran for this batch (no stage's condition held)";
  return out;
}

}  // namespace

PlaceholderValues with_batch(PlaceholderValues v, const ManifestContent& m,
                             const fs::path& manifest, std::vector<std::string>& raw) {
  v.scalars["batch.id"] = m.id;
  v.scalars["batch.manifest"] = path_text(manifest);
  for (const auto& [name, path] : m.files) v.scalars["batch.files." + name] = path_text(path);
  raw.clear();
  for (const auto& p : m.raw_data) raw.push_back(path_text(p));
  v.batch_raw_data = &raw;
  return v;
}

void BatchLoop::run(const PlaceholderValues& values) {
  const int max = s_.config.batches->max_per_run;
  for (int claimed = 0; claimed < max && !run_.stopped();) {
    std::optional<BatchHotfolder::Claim> claim =
        hotfolder_.next(run_.report.run_id, s_.clock.now());
    if (claimed == 0) {
      for (const auto& w : hotfolder_.warnings()) {
        s_.events.emit(event_source::kBatch, event::kWarning, w, {{"warning", w}});
      }
      if (std::size_t n = hotfolder_.settling(); n > 0) {
        s_.events.emit(event_source::kBatch, event::kSettling,
                       settling_text(n, s_.config.batches->settle),
                       {{"manifests", n}, {"settle_ms", s_.config.batches->settle.count()}});
      }
    }
    if (!claim) break;
    if (!claim->batch) {
      reject(claim->rejected);
      continue;
    }
    ++claimed;
    if (!process(*claim->batch, values)) break;
  }
  run_.report.status = status_from_batches(run_.report.batches);
}

void BatchLoop::reject(const BatchRecord& r) {
  s_.events.emit(event_source::kBatch, event::kError, "batch " + r.id + " rejected: " + r.error,
                 {{"id", r.id},
                  {"manifest", r.manifest},
                  {"status", r.status},
                  {"moved_to", r.moved_to},
                  {"error", r.error}});
  run_.report.batches.push_back(r);
}

bool BatchLoop::process(ClaimedBatch& batch, const PlaceholderValues& values) {
  const ManifestContent& m = batch.content;
  const std::string manifest = display_path(batch.manifest, s_.config.root);
  s_.events.emit(
      event_source::kBatch, event::kClaimed,
      "batch " + m.id + (batch.reclaimed ? " claimed again after a run died" : " claimed"),
      {{"id", m.id},
       {"manifest", manifest},
       {"reclaimed", batch.reclaimed},
       {"files", m.all_files().size()},
       {"finishing_only", batch.decided.has_value()}});
  if (batch.decided) {  // a run that died decided it; only its moves remain
    finish(batch, false, "");
    return true;
  }
  std::vector<std::string> raw;
  const std::size_t first = run_.report.stages.size();
  s_.events.set_batch(m.id);
  pass_(with_batch(values, m, batch.manifest, raw), m.id);
  s_.events.set_batch("");
  if (run_.aborted) {
    hotfolder_.release(batch);
    BatchRecord r{m.id,
                  "INTERRUPTED",
                  "",
                  path_text(batch.manifest.filename()),
                  "the run was stopped; the next run claims it again",
                  batch.reclaimed};
    s_.events.emit(event_source::kBatch, event::kInterrupted, "batch " + m.id + ": " + r.error,
                   {{"id", m.id}, {"manifest", manifest}});
    run_.report.batches.push_back(std::move(r));
    return false;
  }
  const std::string error = batch_failure(run_.report.stages, first);
  finish(batch, error.empty(), error);
  return true;
}

void BatchLoop::finish(ClaimedBatch& batch, bool succeeded, const std::string& error) {
  const ManifestContent& m = batch.content;
  BatchRecord r;
  try {
    r = hotfolder_.finish(batch, succeeded, error, run_.report.run_id, s_.clock.now());
  } catch (const std::exception& e) {
    hotfolder_.release(batch);
    r = {m.id,
         "FAILED",
         "",
         path_text(batch.manifest.filename()),
         std::string("cannot finish the batch (the next run tries again): ") + e.what(),
         batch.reclaimed};
    run_.report.errors.push_back("batch " + m.id + ": " + r.error);
  }
  bool archived = r.status == "COMPLETED" && !r.moved_to.empty();
  s_.events.emit(
      event_source::kBatch, archived ? event::kArchived : event::kError,
      "batch " + m.id + (archived ? " archived in " + r.moved_to : " failed: " + r.error),
      {{"id", r.id},
       {"status", r.status},
       {"moved_to", r.moved_to},
       {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
       {"reclaimed", r.reclaimed}});
  run_.report.batches.push_back(std::move(r));
}

}  // namespace pipeline
