#include "batches/batch_hotfolder.hpp"

#include <algorithm>

#include "records/report_json.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

namespace pipeline {

using nlohmann::json;

namespace {

// What a run makes of a manifest it read: the outcome a dead run already decided (only the
// moves are left), or the validated content of a batch to run. Throws UsageError saying why
// the manifest must be rejected (json::exception for a claimed manifest that is damaged).
// `doc` gets back the status it was submitted with when a dead run had claimed it.
struct ManifestVerdict {
  std::optional<std::string> decided;
  ManifestContent content;
};
ManifestVerdict judge_manifest(LoadedManifest& m, bool processing, const std::string& key,
                               const Config& config, const FileSystem& files) {
  if (!m.read_error.empty()) throw UsageError("the manifest cannot be read: " + m.read_error);
  if (!m.parse_error.empty()) throw UsageError("the manifest is not valid JSON: " + m.parse_error);
  json& doc = m.doc;
  if (!doc.is_object()) throw UsageError("the manifest is not a JSON object");
  ManifestVerdict v;
  std::string status = string_field(doc, "status");
  if (processing && (status == "COMPLETED" || status == "FAILED")) {
    // The dead run had finished the stages and decided; only the moves are left.
    if (string_field(doc["runner"], "destination").empty()) {
      throw UsageError("it says " + status + " but not where its files went");
    }
    v.decided = status;
    v.content.id = key;
    for (const auto& [n, p] : doc.at("files").items()) {
      v.content.files.emplace_back(n, resolve_path(config.root, p.get<std::string>()));
    }
    for (const auto& p : doc.at("raw_data")) {
      v.content.raw_data.push_back(resolve_path(config.root, p.get<std::string>()));
    }
    return v;
  }
  if (processing && status == "PROCESSING") doc["status"] = kReadyStatus;  // as submitted
  v.content = validate_manifest(doc, files, config);
  const fs::path done = config.batches->archive / path_from_text(v.content.id);
  if (!processing && files.exists(done)) {
    throw UsageError("batch " + v.content.id + " was already archived in " +
                     display_path(done, config.root) +
                     "; a batch id is processed once (submit it under a new id)");
  }
  return v;
}

}  // namespace

std::vector<ManifestCandidate> pending_manifests(const Config& config, const FileSystem& files,
                                                 TimePoint now, std::vector<std::string>* warnings,
                                                 std::size_t* settling) {
  const fs::path& hot = config.batches->hotfolder;
  const std::int64_t settled_before = unix_ns(now - config.batches->settle);
  std::vector<ManifestCandidate> stale, ready;
  std::vector<DirEntry> entries;
  try {
    entries = files.list_dir(hot);
  } catch (const FileError& e) {
    warnings->push_back(std::string(e.what()) + "; no batch is claimed this run");
  }
  for (const auto& e : entries) {
    if (!e.is_file() && manifest_kind(e.name)) {
      warnings->push_back("skipped " + display_path(hot / path_from_text(e.name), config.root) +
                          ": not a regular file (" +
                          (e.kind == FileKind::kBroken ? "a dangling symlink or a loop"
                                                       : "a folder, FIFO, socket or device") +
                          "), so not a manifest");
      continue;
    }
    auto kind = manifest_kind(e);
    if (!kind) continue;
    bool processing = *kind == ManifestKind::kProcessing;
    fs::path p = hot / path_from_text(e.name);
    auto st = files.stat(p);
    if (!st || !st->is_file()) continue;
    if (!processing && config.batches->settle.count() > 0 && st->mtime_ns > settled_before) {
      ++*settling;
      continue;
    }
    (processing ? stale : ready).push_back({p, processing, st->mtime_ns});
  }
  auto oldest_first = [](const ManifestCandidate& a, const ManifestCandidate& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.path < b.path;
  };
  std::sort(stale.begin(), stale.end(), oldest_first);
  std::sort(ready.begin(), ready.end(), oldest_first);
  stale.insert(stale.end(), ready.begin(), ready.end());
  return stale;
}

std::string settling_text(std::size_t manifests, Millis settle) {
  return std::to_string(manifests) + (manifests == 1 ? " manifest" : " manifests") +
         " still settling (modified within " + format_duration(settle) + "; left for a later run)";
}

BatchPreviews preview_batches(const Config& config, const FileSystem& files, std::size_t limit,
                              TimePoint now) {
  BatchPreviews out;
  for (const auto& c : pending_manifests(config, files, now, &out.warnings, &out.settling)) {
    if (out.batches.size() >= limit) {
      ++out.later;
      continue;
    }
    std::string name = path_text(c.path.filename());
    LoadedManifest m = load_manifest(files, c.path);
    BatchPreview b;
    b.id = claim_key(m.doc, name, c.processing ? kProcessingSuffix : kManifestSuffix);
    b.manifest = c.path;
    b.claimed_as = c.processing ? c.path
                                : config.batches->hotfolder /
                                      path_from_text(b.id + std::string(kProcessingSuffix));
    b.processing = c.processing;
    try {
      ManifestVerdict verdict = judge_manifest(m, c.processing, b.id, config, files);
      b.decided = std::move(verdict.decided);
      b.content = std::move(verdict.content);
    } catch (const UsageError& e) {
      b.rejected = e.what();
    } catch (const json::exception& e) {
      b.rejected = "the claimed manifest is damaged: " + json_error_text(e);
    }
    out.batches.push_back(std::move(b));
  }
  return out;
}

std::optional<BatchHotfolder::Claim> BatchHotfolder::next(const std::string& run_id,
                                                          TimePoint now) {
  if (!pending_) pending_ = pending_manifests(config_, files_, now, &warnings_, &settling_);
  while (cursor_ < pending_->size()) {
    const ManifestCandidate& c = (*pending_)[cursor_++];
    if (auto claim = try_claim(c, run_id, now)) return claim;
  }
  if (!swept_) sweep_claims();
  return std::nullopt;
}

void BatchHotfolder::sweep_claims() {
  swept_ = true;
  // A claim's lock file is removed as the claim is let go; a run killed just then leaves it.
  // One nobody holds guards nothing: it goes (held while removed, so a runner that opened it
  // meanwhile finds it gone and locks the file at the path instead).
  const fs::path claims = batches_.hotfolder / ".claims";
  std::vector<DirEntry> entries;
  try {
    entries = files_.list_dir(claims);
  } catch (const FileError&) {
    return;
  }
  for (const auto& e : entries) {
    if (!e.is_file() || !e.name.ends_with(".lock")) continue;
    std::unique_ptr<RunLock> lock = make_lock_(claims / path_from_text(e.name));
    try {
      if (lock->acquire(Millis(0), clock_, "{}")) let_go(lock, claims / path_from_text(e.name));
    } catch (const Error&) {
      // A lock file we cannot open is left alone: it is not ours to judge.
    }
  }
}

std::optional<BatchHotfolder::Claim> BatchHotfolder::try_claim(const ManifestCandidate& c,
                                                               const std::string& run_id,
                                                               TimePoint now) {
  std::string name = path_text(c.path.filename());
  LoadedManifest m = load_manifest(files_, c.path);
  if (m.gone(files_, c.path)) return std::nullopt;  // another runner claimed it first
  std::string key = claim_key(m.doc, name, c.processing ? kProcessingSuffix : kManifestSuffix);
  fs::path lock_path = batches_.hotfolder / ".claims" / path_from_text(key + ".lock");
  files_.create_directories(lock_path.parent_path());
  std::unique_ptr<RunLock> lock = make_lock_(lock_path);
  if (!lock->acquire(Millis(0), clock_, dump_json(json{{"run_id", run_id}}))) {
    return std::nullopt;  // a live run holds this batch
  }

  fs::path claimed = batches_.hotfolder / path_from_text(key + std::string(kProcessingSuffix));
  if (c.processing) {
    // Under the claim lock a _PROCESSING.json still there belongs to a run that died.
    if (!files_.exists(c.path)) {
      let_go(lock, lock_path);
      return std::nullopt;
    }
    claimed = c.path;
    m = load_manifest(files_, claimed);  // again, now that it is ours
    if (m.gone(files_, claimed)) {
      let_go(lock, lock_path);
      return std::nullopt;
    }
  } else {
    try {
      if (!files_.rename_no_replace(c.path, claimed)) {
        throw FileError("the hot folder spans two file systems");  // one folder: cannot be
      }
    } catch (const FileError& e) {
      if (!files_.exists(c.path)) {  // another runner renamed it first
        let_go(lock, lock_path);
        return std::nullopt;
      }
      // Our claim name is taken (a second manifest with a batch id in progress): refuse it.
      return Claim{std::nullopt,
                   reject(c.path, name, key,
                          "cannot claim it as " + path_text(claimed.filename()) + ": " + e.what(),
                          std::move(lock), lock_path, run_id, now)};
    }
  }

  ClaimedBatch batch;
  batch.manifest = claimed;
  batch.reclaimed = c.processing;
  batch.lock = std::move(lock);
  batch.lock_path = lock_path;
  json& doc = m.doc;
  std::string original = name;
  if (c.processing && doc.is_object() && doc.contains("runner")) {
    original = string_field(doc["runner"], "manifest", name);
  }
  try {
    ManifestVerdict verdict = judge_manifest(m, c.processing, key, config_, files_);
    batch.decided = std::move(verdict.decided);
    batch.content = std::move(verdict.content);
    if (!batch.decided) {
      doc["status"] = "PROCESSING";
      doc["runner"] = {{"manifest", original},
                       {"claimed_by", run_id},
                       {"claimed_at", format_rfc3339(now)},
                       {"reclaimed", c.processing}};
      files_.write_atomic(claimed, dump_json(doc, 2) + "\n");
    }
    batch.document = std::move(doc);
  } catch (const UsageError& e) {
    return Claim{std::nullopt, reject(claimed, original, key, e.what(), std::move(batch.lock),
                                      lock_path, run_id, now)};
  } catch (const json::exception& e) {
    return Claim{std::nullopt, reject(claimed, original, key,
                                      "the claimed manifest is damaged: " + json_error_text(e),
                                      std::move(batch.lock), lock_path, run_id, now)};
  }
  return Claim{std::move(batch), {}};
}

BatchRecord BatchHotfolder::reject(const fs::path& manifest, const std::string& original_name,
                                   const std::string& key, const std::string& why,
                                   std::unique_ptr<RunLock> lock, const fs::path& lock_path,
                                   const std::string& run_id, TimePoint now) {
  BatchRecord rec;
  rec.id = key;
  rec.status = "REJECTED";
  rec.error = why;
  rec.manifest = original_name;
  try {
    fs::path dir = free_error_folder(key);
    files_.create_directories(dir);
    files_.write_atomic(dir / path_from_text(rec.manifest).replace_extension(".error.txt"),
                        "batch " + key + " was rejected by run " + run_id + " at " +
                            format_rfc3339(now) + ":\n" + why +
                            "\nOnly the manifest was moved here; the files it lists were not "
                            "touched.\n");
    mover_.move(manifest, dir / path_from_text(rec.manifest));
    rec.moved_to = display_path(dir, config_.root);
  } catch (const FileError& e) {
    rec.error += "; and it could not be moved to the error folder: " + std::string(e.what());
  }
  let_go(lock, lock_path);
  return rec;
}

fs::path BatchHotfolder::free_error_folder(const std::string& key) const {
  fs::path dir = batches_.error / path_from_text(key);
  for (int n = 2; files_.exists(dir); ++n)
    dir = batches_.error / path_from_text(key + "." + std::to_string(n));
  return dir;
}

BatchRecord BatchHotfolder::finish(ClaimedBatch& batch, bool succeeded, const std::string& error,
                                   const std::string& run_id, TimePoint now) {
  json& doc = batch.document;
  BatchRecord rec;
  rec.id = batch.content.id;
  rec.reclaimed = batch.reclaimed;
  rec.manifest = string_field(doc["runner"], "manifest", path_text(batch.manifest.filename()));
  fs::path dest;
  if (batch.decided) {
    rec.status = *batch.decided;
    dest = resolve_path(config_.root, string_field(doc["runner"], "destination"));
    rec.error = string_field(doc, "error");
  } else {
    rec.status = succeeded ? "COMPLETED" : "FAILED";
    rec.error = error;
    dest = succeeded ? batches_.archive / path_from_text(rec.id) : free_error_folder(rec.id);
    // The decision is on disk before the first move, so a run that dies among the moves
    // is finished by the next one without running the stages again.
    doc["status"] = rec.status;
    doc["run_id"] = run_id;
    doc["finished_at"] = format_rfc3339(now);
    doc["error"] = error.empty() ? json(nullptr) : json(error);
    doc["runner"]["destination"] = display_path(dest, config_.root);
    files_.write_atomic(batch.manifest, dump_json(doc, 2) + "\n");
  }
  rec.moved_to = display_path(dest, config_.root);
  files_.create_directories(dest);
  std::vector<std::string> problems;
  json moved = json::object();
  for (const fs::path& f : batch.content.all_files()) {
    fs::path to = dest / f.filename();
    moved[display_path(f, config_.root)] = display_path(to, config_.root);
    if (!files_.exists(f) && files_.exists(to)) continue;  // moved before a crash
    try {
      mover_.move(f, to);
    } catch (const FileError& e) {
      problems.push_back(e.what());
    }
  }
  doc["runner"]["moved"] = moved;
  if (!problems.empty()) {
    // The batch stays claimed, its outcome recorded: the next run makes the moves left.
    doc["runner"]["move_errors"] = problems;
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    rec.error += (rec.error.empty() ? "" : "; ") + std::to_string(problems.size()) + " of " +
                 std::to_string(batch.content.all_files().size()) +
                 " files could not be moved to " + rec.moved_to + " (" + all +
                 "); the next run moves them";
    rec.status = "INCOMPLETE";
    try {
      files_.write_atomic(batch.manifest, dump_json(doc, 2) + "\n");
    } catch (const FileError&) {
      // The outcome written before the moves is still there; that is all the next run needs.
    }
    let_go(batch.lock, batch.lock_path);
    return rec;
  }
  files_.write_atomic(dest / path_from_text(rec.id + std::string(kManifestSuffix)),
                      dump_json(doc, 2) + "\n");
  files_.remove(batch.manifest);
  let_go(batch.lock, batch.lock_path);
  return rec;
}

void BatchHotfolder::release(ClaimedBatch& batch) {
  let_go(batch.lock, batch.lock_path);
}

void BatchHotfolder::let_go(std::unique_ptr<RunLock>& lock, const fs::path& lock_path) {
  if (!lock) return;
  try {
    files_.remove(lock_path);  // while still held, so no one locks a file about to vanish
  } catch (const FileError&) {
  }
  lock->release();
  lock.reset();
}

}  // namespace pipeline
