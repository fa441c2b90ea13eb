#include "batches/batch_hotfolder.hpp"

#include <algorithm>
#include <set>

#include "records/report_json.hpp"
#include "util/error.hpp"
#include "util/json_read.hpp"
#include "util/paths.hpp"
#include "util/time_format.hpp"

namespace pipeline {
namespace {

using nlohmann::json;

constexpr std::string_view kReady = "READY_FOR_PROCESSING";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// What a hot-folder name is: a ready manifest, a claimed one, or neither (nullopt).
enum class Kind { kManifest, kProcessing };
std::optional<Kind> kind_of(std::string_view name) {
  if (name.empty() || name[0] == '.') return std::nullopt;
  if (ends_with(name, kProcessingSuffix)) return Kind::kProcessing;
  if (ends_with(name, kManifestSuffix)) return Kind::kManifest;
  return std::nullopt;
}

// A manifest is a regular file: a FIFO, socket, folder or dangling link of that name is not.
std::optional<Kind> kind_of(const DirEntry& e) {
  return e.is_file() ? kind_of(e.name) : std::nullopt;
}

[[noreturn]] void invalid(const std::string& why) {
  throw UsageError(why);
}

// The name a manifest's claim goes by before its content is trusted: its batch id when that
// is valid, else the part of the file name before the suffix, made safe.
std::string claim_key(const json& doc, const std::string& file_name, std::string_view suffix) {
  if (doc.is_object()) {
    auto it = doc.find("batch_id");
    if (it != doc.end() && it->is_string() && valid_batch_id(it->get<std::string>())) {
      return it->get<std::string>();
    }
  }
  std::string stem = file_name.substr(0, file_name.size() - suffix.size());
  for (char& c : stem) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (stem.empty() || stem[0] == '.' || stem[0] == '-') stem = "manifest" + stem;
  return stem.substr(0, 64);
}

// A string field, or "" when it is missing, null or not a string (a manifest is outside
// input, and the runner itself writes "error": null).
std::string string_field(const json& doc, const char* key, std::string fallback = "") {
  if (!doc.is_object()) return fallback;
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// A manifest as read from disk, bounded in size and depth: its document (null when it could
// not be read or is not JSON), and why.
struct LoadedManifest {
  json doc;
  std::string read_error, parse_error;
  /// Not there (any more): another runner took it meanwhile.
  bool gone(const FileSystem& files, const fs::path& p) const {
    return !read_error.empty() && !files.exists(p);
  }
};
LoadedManifest load_manifest(const FileSystem& files, const fs::path& p) {
  LoadedManifest m;
  try {
    m.doc = parse_untrusted_json(files.read_file(p, kMaxManifestBytes), &m.parse_error);
    if (m.doc.is_discarded()) m.doc = nullptr;
  } catch (const FileError& e) {
    m.read_error = e.what();
  }
  return m;
}

// The folders and files that belong to the runner, never to a batch: a manifest naming one
// would have the runner archive its own lock, history or config.
struct RunnerFiles {
  std::vector<std::pair<fs::path, std::string>> folders;  ///< real path, what it is
  std::optional<fs::path> config;

  RunnerFiles(const Config& c, const FileSystem& files) {
    auto add = [&](const fs::path& p, const std::string& what) {
      folders.emplace_back(files.real_path(p).value_or(p), what);
    };
    add(c.logs, "the runner's logs");
    add(c.state, "the runner's state");
    add(c.batches->hotfolder / ".claims", "the hot folder's claims");
    add(c.batches->archive, "the archive of finished batches");
    add(c.batches->error, "the error folder of failed batches");
    config = files.real_path(c.file).value_or(c.file);
  }

  // Why real (a resolved path) is not data, or "" when it may be.
  std::string refuse(const fs::path& real) const {
    if (config && real == *config) return "is the pipeline's config";
    std::string name = real.filename().string();
    if (kind_of(name)) return "is a manifest, not data";
    for (const auto& [dir, what] : folders) {
      if (real == dir || is_within(real, dir)) return "is inside " + what;
    }
    return {};
  }
};

}  // namespace

bool valid_batch_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::vector<fs::path> ManifestContent::all_files() const {
  std::vector<fs::path> out;
  for (const auto& [name, path] : files) out.push_back(path);
  out.insert(out.end(), raw_data.begin(), raw_data.end());
  return out;
}

ManifestContent validate_manifest(const json& doc, const FileSystem& files, const Config& config) {
  const fs::path& root = config.root;
  if (!doc.is_object()) invalid("the manifest is not a JSON object");
  ManifestContent m;
  auto id = doc.find("batch_id");
  if (id == doc.end() || !id->is_string()) invalid("\"batch_id\" (a string) is missing");
  m.id = id->get<std::string>();
  if (!valid_batch_id(m.id)) {
    invalid("batch_id \"" + m.id +
            "\" must be 1-64 of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'");
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_string()) invalid("\"status\" (a string) is missing");
  if (*status != kReady) {
    invalid("status is \"" + status->get<std::string>() + "\", not \"" + std::string(kReady) +
            "\"");
  }
  if (auto ts = doc.find("creation_timestamp"); ts != doc.end() && !ts->is_string()) {
    invalid("\"creation_timestamp\" must be a string");
  }
  auto file_map = doc.find("files");
  if (file_map == doc.end() || !file_map->is_object()) {
    invalid("\"files\" (an object of name: path) is missing");
  }
  auto raw = doc.find("raw_data");
  if (raw == doc.end() || !raw->is_array()) invalid("\"raw_data\" (a list of paths) is missing");

  std::optional<fs::path> real_root = files.real_path(root);
  if (!real_root) invalid("the pipeline root " + root.string() + " does not exist");
  RunnerFiles runner(config, files);
  std::set<fs::path> seen_real;
  std::set<std::string> seen_names;
  auto check_path = [&](const json& value, const std::string& where) {
    if (!value.is_string() || value.get<std::string>().empty()) {
      invalid(where + " must be a non-empty path string");
    }
    std::string text = value.get<std::string>();
    fs::path path = resolve_path(root, text);
    // Resolving symlinks and `..` first: a link inside root that leads out of it is outside.
    std::optional<fs::path> real = files.real_path(path);
    if (!real) {
      if (!is_within(path, root)) invalid(where + " \"" + text + "\" is outside the root");
      invalid(where + " \"" + text + "\" does not exist");
    }
    if (!is_within(*real, *real_root)) {
      invalid(where + " \"" + text + "\" resolves to " + real->string() + ", outside the root " +
              real_root->string());
    }
    auto st = files.stat(*real);
    if (!st || !st->is_file()) {
      invalid(where + " \"" + text +
              "\" is not a regular file (a folder, FIFO, socket or device is never data)");
    }
    if (std::string why = runner.refuse(*real); !why.empty()) {
      invalid(where + " \"" + text + "\" " + why + ": a manifest lists data files only");
    }
    if (!seen_real.insert(*real).second) invalid(where + " \"" + text + "\" is listed twice");
    if (!seen_names.insert(path.filename().string()).second) {
      invalid(where + " \"" + text + "\": another listed file has the name " +
              path.filename().string() + " (they would collide in the archive)");
    }
    return path;
  };
  for (const auto& [name, value] : file_map->items()) {
    if (name.empty()) invalid("\"files\" has an empty name");
    m.files.emplace_back(name, check_path(value, "files." + name));
  }
  for (std::size_t i = 0; i < raw->size(); ++i) {
    m.raw_data.push_back(check_path((*raw)[i], "raw_data[" + std::to_string(i) + "]"));
  }
  if (m.files.empty() && m.raw_data.empty()) invalid("the manifest lists no files");
  return m;
}

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
  if (!m.read_error.empty()) invalid("the manifest cannot be read: " + m.read_error);
  if (!m.parse_error.empty()) invalid("the manifest is not valid JSON: " + m.parse_error);
  json& doc = m.doc;
  if (!doc.is_object()) invalid("the manifest is not a JSON object");
  ManifestVerdict v;
  std::string status = string_field(doc, "status");
  if (processing && (status == "COMPLETED" || status == "FAILED")) {
    // The dead run had finished the stages and decided; only the moves are left.
    if (string_field(doc["runner"], "destination").empty()) {
      invalid("it says " + status + " but not where its files went");
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
  if (processing && status == "PROCESSING") doc["status"] = kReady;  // as submitted
  v.content = validate_manifest(doc, files, config);
  const fs::path done = config.batches->archive / v.content.id;
  if (!processing && files.exists(done)) {
    invalid("batch " + v.content.id + " was already archived in " +
            display_path(done, config.root) +
            "; a batch id is processed once (submit it under a new id)");
  }
  return v;
}

}  // namespace

std::vector<ManifestCandidate> pending_manifests(const Config& config, const FileSystem& files,
                                                 std::vector<std::string>* warnings) {
  const fs::path& hot = config.batches->hotfolder;
  std::vector<ManifestCandidate> stale, ready;
  std::vector<DirEntry> entries;
  try {
    entries = files.list_dir(hot);
  } catch (const FileError& e) {
    warnings->push_back(std::string(e.what()) + "; no batch is claimed this run");
  }
  for (const auto& e : entries) {
    if (!e.is_file() && kind_of(e.name)) {
      warnings->push_back("skipped " + display_path(hot / e.name, config.root) +
                          ": not a regular file (" +
                          (e.kind == FileKind::kBroken ? "a dangling symlink or a loop"
                                                       : "a folder, FIFO, socket or device") +
                          "), so not a manifest");
      continue;
    }
    auto kind = kind_of(e);
    if (!kind) continue;
    bool processing = *kind == Kind::kProcessing;
    fs::path p = hot / e.name;
    auto st = files.stat(p);
    if (!st || !st->is_file()) continue;
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

BatchPreviews preview_batches(const Config& config, const FileSystem& files, std::size_t limit) {
  BatchPreviews out;
  for (const auto& c : pending_manifests(config, files, &out.warnings)) {
    if (out.batches.size() >= limit) {
      ++out.later;
      continue;
    }
    std::string name = c.path.filename().string();
    LoadedManifest m = load_manifest(files, c.path);
    BatchPreview b;
    b.id = claim_key(m.doc, name, c.processing ? kProcessingSuffix : kManifestSuffix);
    b.manifest = c.path;
    b.claimed_as =
        c.processing ? c.path : config.batches->hotfolder / (b.id + std::string(kProcessingSuffix));
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
  if (!pending_) pending_ = pending_manifests(config_, files_, &warnings_);
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
    if (!e.is_file() || !ends_with(e.name, ".lock")) continue;
    std::unique_ptr<RunLock> lock = make_lock_(claims / e.name);
    try {
      if (lock->acquire(Millis(0), clock_, "{}")) let_go(lock, claims / e.name);
    } catch (const Error&) {
      // A lock file we cannot open is left alone: it is not ours to judge.
    }
  }
}

std::optional<BatchHotfolder::Claim> BatchHotfolder::try_claim(const ManifestCandidate& c,
                                                               const std::string& run_id,
                                                               TimePoint now) {
  std::string name = c.path.filename().string();
  LoadedManifest m = load_manifest(files_, c.path);
  if (m.gone(files_, c.path)) return std::nullopt;  // another runner claimed it first
  std::string key = claim_key(m.doc, name, c.processing ? kProcessingSuffix : kManifestSuffix);
  fs::path lock_path = batches_.hotfolder / ".claims" / (key + ".lock");
  files_.create_directories(lock_path.parent_path());
  std::unique_ptr<RunLock> lock = make_lock_(lock_path);
  if (!lock->acquire(Millis(0), clock_, dump_json(json{{"run_id", run_id}}))) {
    return std::nullopt;  // a live run holds this batch
  }

  fs::path claimed = batches_.hotfolder / (key + std::string(kProcessingSuffix));
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
                          "cannot claim it as " + claimed.filename().string() + ": " + e.what(),
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
    files_.write_atomic(dir / fs::path(rec.manifest).replace_extension(".error.txt"),
                        "batch " + key + " was rejected by run " + run_id + " at " +
                            format_rfc3339(now) + ":\n" + why +
                            "\nOnly the manifest was moved here; the files it lists were not "
                            "touched.\n");
    mover_.move(manifest, dir / rec.manifest);
    rec.moved_to = display_path(dir, config_.root);
  } catch (const FileError& e) {
    rec.error += "; and it could not be moved to the error folder: " + std::string(e.what());
  }
  let_go(lock, lock_path);
  return rec;
}

fs::path BatchHotfolder::free_error_folder(const std::string& key) const {
  fs::path dir = batches_.error / key;
  for (int n = 2; files_.exists(dir); ++n) dir = batches_.error / (key + "." + std::to_string(n));
  return dir;
}

BatchRecord BatchHotfolder::finish(ClaimedBatch& batch, bool succeeded, const std::string& error,
                                   const std::string& run_id, TimePoint now) {
  json& doc = batch.document;
  BatchRecord rec;
  rec.id = batch.content.id;
  rec.reclaimed = batch.reclaimed;
  rec.manifest = string_field(doc["runner"], "manifest", batch.manifest.filename().string());
  fs::path dest;
  if (batch.decided) {
    rec.status = *batch.decided;
    dest = resolve_path(config_.root, string_field(doc["runner"], "destination"));
    rec.error = string_field(doc, "error");
  } else {
    rec.status = succeeded ? "COMPLETED" : "FAILED";
    rec.error = error;
    dest = succeeded ? batches_.archive / rec.id : free_error_folder(rec.id);
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
  files_.write_atomic(dest / (rec.id + std::string(kManifestSuffix)), dump_json(doc, 2) + "\n");
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

std::vector<BatchListing> list_batches(const Config& config, const FileSystem& files) {
  const BatchConfig& b = *config.batches;
  std::vector<BatchListing> out;
  for (const auto& e : files.list_dir(b.hotfolder)) {
    auto kind = kind_of(e);
    if (!kind) continue;
    bool processing = *kind == Kind::kProcessing;
    fs::path p = b.hotfolder / e.name;
    BatchListing l;
    l.state = processing ? "processing" : "ready";
    l.path = display_path(p, config.root);
    if (auto st = files.stat(p)) l.mtime_ns = st->mtime_ns;
    json doc = load_manifest(files, p).doc;
    l.id = claim_key(doc, e.name, processing ? kProcessingSuffix : kManifestSuffix);
    if (!doc.is_object()) {
      l.detail = "not valid JSON: it will be rejected";
    } else if (processing) {
      l.detail = "claimed by run " + string_field(doc.value("runner", json()), "claimed_by", "?");
    }
    out.push_back(std::move(l));
  }
  auto folders = [&](const fs::path& dir, const std::string& state) {
    for (const auto& e : files.list_dir(dir)) {
      if (!e.is_directory()) continue;
      BatchListing l;
      l.state = state;
      l.id = e.name;
      l.path = display_path(dir / e.name, config.root);
      if (auto st = files.stat(dir / e.name)) l.mtime_ns = st->mtime_ns;
      for (const auto& f : files.list_dir(dir / e.name)) {
        if (!f.is_file()) continue;
        try {
          if (ends_with(f.name, ".error.txt")) {
            std::string text = files.read_file(dir / e.name / f.name, kMaxManifestBytes);
            std::size_t nl = text.find('\n');
            l.detail = "rejected: " + text.substr(nl == std::string::npos ? 0 : nl + 1,
                                                  text.find('\n', nl + 1) - nl - 1);
          } else if (ends_with(f.name, kManifestSuffix) && l.detail.empty()) {
            json doc = load_manifest(files, dir / e.name / f.name).doc;
            if (!doc.is_object()) continue;
            l.id = string_field(doc, "batch_id", l.id);
            l.detail = "run " + string_field(doc, "run_id", "?") + " at " +
                       string_field(doc, "finished_at", "?");
            if (doc.contains("error") && doc["error"].is_string()) {
              l.detail += ": " + doc["error"].get<std::string>();
            }
          }
        } catch (const FileError&) {
        }
      }
      out.push_back(std::move(l));
    }
  };
  folders(b.archive, "archived");
  folders(b.error, "failed");
  std::stable_sort(out.begin(), out.end(), [](const BatchListing& x, const BatchListing& y) {
    return x.mtime_ns < y.mtime_ns;
  });
  return out;
}

fs::path submit_batch(const Config& config, FileSystem& files, const std::string& id,
                      const std::vector<std::pair<std::string, fs::path>>& named_files,
                      const std::vector<fs::path>& raw_data, TimePoint now) {
  const BatchConfig& b = *config.batches;
  auto relative = [&](const fs::path& p) {
    return display_path(p.lexically_normal(), config.root);
  };
  json doc = {{"batch_id", id},
              {"creation_timestamp", format_rfc3339(now)},
              {"status", kReady},
              {"files", json::object()},
              {"raw_data", json::array()}};
  for (const auto& [name, path] : named_files) {
    if (doc["files"].contains(name)) throw UsageError("--file " + name + " is given twice");
    doc["files"][name] = relative(path);
  }
  for (const auto& p : raw_data) doc["raw_data"].push_back(relative(p));
  validate_manifest(doc, files, config);  // a run would reject it: say so now
  if (files.exists(b.archive / id)) {
    throw UsageError("batch " + id + " was already archived in " +
                     display_path(b.archive / id, config.root) + "; use a new batch id");
  }
  fs::path target = b.hotfolder / (id + std::string(kManifestSuffix));
  if (files.exists(target) || files.exists(b.hotfolder / (id + std::string(kProcessingSuffix)))) {
    throw UsageError("batch " + id + " is already in the hot folder " + b.hotfolder.string());
  }
  files.create_directories(b.hotfolder);
  files.write_atomic(target, dump_json(doc, 2) + "\n");
  return target;
}

}  // namespace pipeline
