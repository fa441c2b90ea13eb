#include "records/sqlite_history.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <system_error>

#include "util/paths.hpp"

namespace pipeline {
namespace {

constexpr int kSchemaVersion = 1;
// Pages (4 KiB) in the WAL at which a commit checkpoints it into the database file.
constexpr int kCheckpointPages = 128;

constexpr const char* kSchema = R"sql(
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, exit_code INTEGER,
  started_at TEXT, started_ms INTEGER NOT NULL, finished_at TEXT, duration_ms INTEGER,
  host TEXT, pid INTEGER, report TEXT NOT NULL);
CREATE INDEX runs_by_start ON runs(started_ms);
CREATE INDEX runs_by_status ON runs(status, started_ms);
CREATE TABLE stages (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  stage TEXT NOT NULL, batch TEXT, status TEXT NOT NULL, reason TEXT, inputs_count INTEGER,
  PRIMARY KEY (run_id, seq));
CREATE INDEX stages_by_name ON stages(stage, status);
CREATE TABLE attempts (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL, started_at TEXT, duration_ms INTEGER, exit_code INTEGER,
  signal INTEGER, timed_out INTEGER, hung INTEGER, completed_by TEXT,
  PRIMARY KEY (run_id, seq, attempt));
CREATE TABLE batches (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, batch_id TEXT NOT NULL,
  status TEXT NOT NULL, moved_to TEXT, error TEXT);
CREATE INDEX batches_by_id ON batches(batch_id);
)sql";

// Facts about the history as a whole (added within schema 1: a history without it gets it).
constexpr const char* kMeta = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)";

// What each stage record counted (SPEC 11 `counts`), with the time window it ran for. Added
// within schema 1: a history without it gets it (`history rebuild` fills it for older runs).
constexpr const char* kCounts = R"sql(
CREATE TABLE IF NOT EXISTS stage_counts (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  stage TEXT NOT NULL, window TEXT, name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq, name));
CREATE INDEX IF NOT EXISTS stage_counts_by_name ON stage_counts(stage, name);
)sql";

// Runs by day (UTC) and status, kept by triggers as runs are recorded and forgotten, so the
// dashboard's year view costs a few hundred rows, not a sort of every run (12 ms at 35,000).
// Added within schema 1: a history without it gets it, filled from its runs, when opened.
constexpr const char* kRunDays = R"sql(
CREATE TABLE run_days (day INTEGER NOT NULL, status TEXT NOT NULL, runs INTEGER NOT NULL,
                       PRIMARY KEY (day, status)) WITHOUT ROWID;
CREATE TRIGGER run_days_add AFTER INSERT ON runs BEGIN
  INSERT INTO run_days VALUES (new.started_ms / 86400000, new.status, 1)
    ON CONFLICT (day, status) DO UPDATE SET runs = runs + 1;
END;
CREATE TRIGGER run_days_drop AFTER DELETE ON runs BEGIN
  UPDATE run_days SET runs = runs - 1 WHERE day = old.started_ms / 86400000 AND status = old.status;
  DELETE FROM run_days WHERE day = old.started_ms / 86400000 AND status = old.status AND runs <= 0;
END;
INSERT INTO run_days SELECT started_ms / 86400000, status, count(*) FROM runs GROUP BY 1, 2;
)sql";

// Binds a value, or NULL for none: a missing exit code is not a zero.
void bind_opt(SQLite::Statement& st, int index, const std::optional<int>& v) {
  if (v) {
    st.bind(index, *v);
  } else {
    st.bind(index);
  }
}
void bind_text_or_null(SQLite::Statement& st, int index, const std::string& v) {
  if (v.empty()) {
    st.bind(index);
  } else {
    st.bind(index, v);
  }
}

class SqliteHistory final : public RunHistory {
 public:
  explicit SqliteHistory(const fs::path& path)
      : db_(path_text(path), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db_.setBusyTimeout(5000);
    db_.exec("PRAGMA foreign_keys = ON");
  }

  void create_schema() {
    db_.exec("PRAGMA journal_mode = WAL");
    SQLite::Transaction tx(db_);
    db_.exec(kSchema);
    db_.exec(kMeta);
    db_.exec(kCounts);
    db_.exec(kRunDays);
    db_.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    tx.commit();
  }

  void check(bool integrity) {
    int version = db_.execAndGet("PRAGMA user_version").getInt();
    if (version != kSchemaVersion) {
      throw HistoryUnusable("it is not a history of schema " + std::to_string(kSchemaVersion) +
                            " (user_version " + std::to_string(version) + ")");
    }
    if (integrity) {
      std::string result = db_.execAndGet("PRAGMA quick_check").getString();
      if (result != "ok") throw HistoryUnusable("quick_check says: " + result);
    }
    db_.exec("PRAGMA journal_mode = WAL");
  }

  // How a run records: the reports are fsynced and are the truth, and the history is an index
  // that converges to them (add_missing_runs), so a commit need not reach the disk on its own.
  // With synchronous NORMAL a WAL database stays whole through a crash or a power cut and
  // may only lose its last commits, which the next run adds back. The WAL file stays between
  // runs, so it is not created and deleted every run. Closing does not checkpoint: a commit
  // that leaves kCheckpointPages or more in the WAL checkpoints it and empties it (every
  // couple of dozen runs), so most runs make no sync for the history at all, and the next
  // open rebuilds its index from a WAL of at most that size. (SQLite's own autocheckpoint
  // would not do: it leaves the WAL full, the next open cannot know what was copied, and the
  // WAL grows for ever.) The WAL is part of the database: a copy of the .db alone may miss
  // the last runs, which the next run adds back from their reports.
  void tune_for_runs() {
    db_.exec("PRAGMA synchronous = NORMAL");
    db_.exec(kMeta);
    db_.exec(kCounts);
    if (!db_.tableExists("run_days")) {
      SQLite::Transaction tx(db_);
      db_.exec(kRunDays);
      tx.commit();
    }
    sqlite3* handle = db_.getHandle();
    int persist = 1;
    sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    sqlite3_db_config(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_wal_hook(handle, &checkpoint_when_large, nullptr);
  }

  // Called by SQLite after each commit, with the number of pages in the WAL.
  static int checkpoint_when_large(void* /*unused*/, sqlite3* handle, const char* schema,
                                   int pages) {
    if (pages >= kCheckpointPages) {
      // A checkpoint that cannot finish now (a reader in the way) is made by a later commit.
      sqlite3_wal_checkpoint_v2(handle, schema, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }
    return SQLITE_OK;
  }

  void record(const RunReport& r, const std::string& report_path) override {
    try {
      SQLite::Transaction tx(db_);
      insert(r, report_path);
      tx.commit();
    } catch (const SQLite::Exception& e) {
      // A damaged file shows itself when a write reaches the bad pages.
      int code = e.getErrorCode() & 0xff;
      if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) throw HistoryUnusable(e.what());
      throw;
    }
  }

  // Many runs in one transaction (a rebuild); a report without a run id is left out.
  std::size_t record_all(const std::vector<ReportOnRecord>& reports) {
    SQLite::Transaction tx(db_);
    std::size_t n = 0;
    for (const auto& [r, path] : reports) {
      if (r.run_id.empty()) continue;
      insert(r, path);
      ++n;
    }
    tx.commit();
    return n;
  }

  std::vector<RunSummary> list(const HistoryQuery& q) override {
    std::string sql =
        "SELECT run_id, status, exit_code, started_at, duration_ms, report FROM runs r WHERE 1";
    if (!q.status.empty()) sql += " AND status = :status";
    if (q.since) sql += " AND started_ms >= :since";
    if (!q.stage.empty()) {
      sql +=
          " AND EXISTS (SELECT 1 FROM stages s WHERE s.run_id = r.run_id AND s.stage = :stage"
          " AND s.status NOT IN ('skipped', 'not_started'))";
    }
    sql += " ORDER BY started_ms DESC, run_id DESC LIMIT :limit";
    SQLite::Statement st(db_, sql);
    if (!q.status.empty()) st.bind(":status", q.status);
    if (q.since) st.bind(":since", unix_ms(*q.since));
    if (!q.stage.empty()) st.bind(":stage", q.stage);
    st.bind(":limit", static_cast<std::int64_t>(q.limit));
    return summaries(st, nullptr, q.with_stages);
  }

  RunHealth health(const std::string& excluding) override {
    // Every query walks an index from the newest run or counts on one; the run left out is
    // filtered with a unary + on run_id, which keeps SQLite from scanning the primary key for
    // it (a scan of every row: 2,300 pages at 35,000 runs).
    RunHealth h;
    const std::string columns =
        "SELECT run_id, status, exit_code, started_at, duration_ms, report, started_ms FROM runs ";
    const std::string ordered = " ORDER BY started_ms DESC, run_id DESC";
    {
      // (Without INDEXED BY the planner scans the table for this one.)
      SQLite::Statement st(db_,
                           "SELECT run_id, status, exit_code, started_at, duration_ms, "
                           "report, started_ms FROM runs INDEXED BY runs_by_start WHERE "
                           "+run_id <> ?1" +
                               ordered + " LIMIT 2");
      st.bind(1, excluding);
      auto runs = summaries(st);
      if (!runs.empty()) h.last = runs[0];
      if (runs.size() > 1) h.previous = runs[1];
    }
    std::int64_t success_ms = std::numeric_limits<std::int64_t>::min();
    {
      SQLite::Statement st(
          db_, columns + "WHERE status = 'success' AND +run_id <> ?1" + ordered + " LIMIT 1");
      st.bind(1, excluding);
      auto runs = summaries(st, &success_ms);
      if (!runs.empty()) h.last_success = runs[0];
    }
    // The streak: failing runs that started after the last success, counted on the status
    // index (one range per failing status). Runs start under the lock, a millisecond or more
    // apart, so the start time alone orders them.
    const std::string failing =
        "WHERE status IN ('failure', 'partial', 'error', 'aborted') AND started_ms > ?1";
    {
      SQLite::Statement st(db_, "SELECT count(*) FROM runs " + failing);
      st.bind(1, success_ms);
      st.executeStep();
      h.streak_failed = static_cast<std::size_t>(st.getColumn(0).getInt64());
      SQLite::Statement left_out(db_, "SELECT status, started_ms FROM runs WHERE run_id = ?");
      left_out.bind(1, excluding);
      if (left_out.executeStep() && is_failing_status(left_out.getColumn(0).getString()) &&
          left_out.getColumn(1).getInt64() > success_ms && h.streak_failed > 0) {
        --h.streak_failed;
      }
    }
    if (h.streak_failed > 0) {
      SQLite::Statement st(
          db_, columns + failing + " AND +run_id <> ?2 ORDER BY started_ms, run_id LIMIT 1");
      st.bind(1, success_ms);
      st.bind(2, excluding);
      auto runs = summaries(st);
      if (!runs.empty()) h.streak_first = runs[0];
    }
    // Summed over the days (a few rows a day, kept by triggers), not counted over every run;
    // then the run left out is taken off.
    SQLite::Statement counts(db_, "SELECT status, sum(runs) FROM run_days GROUP BY status");
    while (counts.executeStep()) {
      h.runs_by_status[counts.getColumn(0).getString()] =
          static_cast<std::size_t>(counts.getColumn(1).getInt64());
    }
    SQLite::Statement left_out(db_, "SELECT status FROM runs WHERE run_id = ?");
    left_out.bind(1, excluding);
    if (left_out.executeStep()) {
      auto it = h.runs_by_status.find(left_out.getColumn(0).getString());
      if (it != h.runs_by_status.end() && --it->second == 0) h.runs_by_status.erase(it);
    }
    return h;
  }

  std::optional<std::int64_t> last_count(const std::string& stage,
                                         const std::string& name) override {
    // Rows are added in run order (a rebuild adds the oldest first): the newest has the
    // highest rowid, which the (stage, name) index holds after its key.
    SQLite::Statement st(db_,
                         "SELECT value FROM stage_counts WHERE stage = ? AND name = ? "
                         "ORDER BY rowid DESC LIMIT 1");
    st.bind(1, stage);
    st.bind(2, name);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getInt64();
  }

  std::vector<StageTiming> stage_timings(std::size_t runs) override {
    SQLite::Statement st(db_, R"sql(
      SELECT r.run_id, r.started_ms, s.stage, s.batch, s.status,
             (SELECT coalesce(sum(a.duration_ms), 0) FROM attempts a
               WHERE a.run_id = s.run_id AND a.seq = s.seq)
      FROM (SELECT run_id, started_ms FROM runs ORDER BY started_ms DESC, run_id DESC LIMIT ?) r
      JOIN stages s ON s.run_id = r.run_id
      WHERE s.status NOT IN ('skipped', 'not_started')
      ORDER BY r.started_ms, r.run_id, s.seq)sql");
    st.bind(1, static_cast<std::int64_t>(runs));
    std::vector<StageTiming> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getInt64(),
                     st.getColumn(2).getString(),
                     st.getColumn(3).isNull() ? std::string() : st.getColumn(3).getString(),
                     st.getColumn(4).getString(), st.getColumn(5).getInt64()});
    }
    return out;
  }

  std::vector<DayCount> runs_by_day() override {
    SQLite::Statement st(db_, "SELECT day, status, runs FROM run_days ORDER BY day, status");
    std::vector<DayCount> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getString(),
                     static_cast<std::size_t>(st.getColumn(2).getInt64())});
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> find(const std::string& prefix,
                                                        std::size_t max) override {
    // Run ids are lower-case hex and '-': a range scan on the primary key finds the prefix.
    // A run id begins with its start time (make_run_id), so the key's order is the start
    // order: walked backwards, the newest come first with no sort, and `latest` or a prefix
    // costs a few index steps whatever the size of the history.
    SQLite::Statement st(db_,
                         "SELECT run_id, report FROM runs WHERE run_id >= ?1 AND run_id < ?1 || "
                         "'~' ORDER BY run_id DESC LIMIT ?2");
    st.bind(1, prefix);
    st.bind(2, static_cast<std::int64_t>(max));
    std::vector<std::pair<std::string, std::string>> out;
    while (st.executeStep())
      out.emplace_back(st.getColumn(0).getString(), st.getColumn(1).getString());
    return out;
  }

  std::vector<Entry> entries() override {
    SQLite::Statement st(
        db_, "SELECT run_id, started_ms, report FROM runs ORDER BY started_ms DESC, run_id DESC");
    std::vector<Entry> out;
    while (st.executeStep()) {
      out.push_back(
          {st.getColumn(0).getString(), st.getColumn(1).getInt64(), st.getColumn(2).getString()});
    }
    return out;
  }

  void forget(const std::vector<std::string>& run_ids) override {
    SQLite::Transaction tx(db_);
    SQLite::Statement st(db_, "DELETE FROM runs WHERE run_id = ?");
    for (const auto& id : run_ids) {
      st.reset();
      st.bind(1, id);
      st.exec();
    }
    tx.commit();
  }

  std::optional<std::int64_t> reports_stamp() override {
    SQLite::Statement st(db_, "SELECT value FROM meta WHERE key = 'reports_mtime_ns'");
    if (!st.executeStep() || st.getColumn(0).isNull()) return std::nullopt;
    return st.getColumn(0).getInt64();
  }

  void set_reports_stamp(std::int64_t mtime_ns) override {
    SQLite::Statement st(db_,
                         "INSERT OR REPLACE INTO meta (key, value) VALUES ('reports_mtime_ns', ?)");
    st.bind(1, mtime_ns);
    st.exec();
  }

  std::size_t count() override {
    return static_cast<std::size_t>(db_.execAndGet("SELECT count(*) FROM runs").getInt64());
  }

 private:
  void insert(const RunReport& r, const std::string& report_path) {
    if (r.run_id.empty()) throw HistoryUnusable("a report without run_id: " + report_path);
    SQLite::Statement del(db_, "DELETE FROM runs WHERE run_id = ?");
    del.bind(1, r.run_id);
    del.exec();
    const RunSummary summary = summary_of(r, report_path);
    SQLite::Statement run(db_, "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    run.bind(1, r.run_id);
    run.bind(2, r.pipeline);
    run.bind(3, summary.status);
    run.bind(4, r.exit_code);
    run.bind(5, summary.started_at);
    run.bind(6, unix_ms(r.started_at));
    run.bind(7, format_rfc3339(r.finished_at));
    run.bind(8, summary.duration_ms);
    run.bind(9, r.host);
    run.bind(10, r.pid);
    run.bind(11, report_path);
    run.exec();

    SQLite::Statement stage(db_, "INSERT INTO stages VALUES (?, ?, ?, ?, ?, ?, ?)");
    SQLite::Statement counts(db_, "INSERT INTO stage_counts VALUES (?, ?, ?, ?, ?, ?)");
    int seq = 0;
    for (const auto& s : r.stages) {
      ++seq;
      stage.reset();
      stage.bind(1, r.run_id);
      stage.bind(2, seq);
      stage.bind(3, s.name);
      bind_text_or_null(stage, 4, s.batch);
      stage.bind(5, std::string(to_string(s.status)));
      stage.bind(6, s.decision.reason);
      stage.bind(7, static_cast<std::int64_t>(s.inputs_count));
      stage.exec();
      insert_attempts(r.run_id, seq, s.attempts);
      for (const auto& [name, value] : s.counts) {
        counts.reset();
        counts.bind(1, r.run_id);
        counts.bind(2, seq);
        counts.bind(3, s.name);
        if (s.window) {
          counts.bind(4, s.window->id);
        } else {
          counts.bind(4);
        }
        counts.bind(5, name);
        counts.bind(6, value);
        counts.exec();
      }
    }
    SQLite::Statement batch(db_, "INSERT INTO batches VALUES (?, ?, ?, ?, ?)");
    for (const auto& b : r.batches) {
      batch.reset();
      batch.bind(1, r.run_id);
      batch.bind(2, b.id);
      batch.bind(3, b.status);
      bind_text_or_null(batch, 4, b.moved_to);
      bind_text_or_null(batch, 5, b.error);
      batch.exec();
    }
  }

  void insert_attempts(const std::string& run_id, int seq, const std::vector<AttemptRecord>& all) {
    SQLite::Statement attempt(db_, "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& a : all) {
      attempt.reset();
      attempt.bind(1, run_id);
      attempt.bind(2, seq);
      attempt.bind(3, a.attempt);
      attempt.bind(4, format_rfc3339(a.started_at));
      attempt.bind(5, static_cast<std::int64_t>(a.duration.count()));
      bind_opt(attempt, 6, a.exit_code);
      bind_opt(attempt, 7, a.signal);
      attempt.bind(8, a.timed_out ? 1 : 0);
      attempt.bind(9, a.hung ? 1 : 0);
      bind_text_or_null(attempt, 10, a.completed_by);
      attempt.exec();
    }
  }

  // The runs a statement selects (run_id, status, exit_code, started_at, duration_ms, report
  // first), each with the stages that ran. started_ms, when asked for, gets the seventh column
  // of the last row.
  std::vector<RunSummary> summaries(SQLite::Statement& st, std::int64_t* started_ms = nullptr,
                                    bool with_stages = true) {
    // One read transaction for the runs and all their stages: one snapshot, and the WAL's
    // read lock taken once instead of once a statement (two fcntl calls each).
    SQLite::Transaction snapshot(db_);
    std::vector<RunSummary> out;
    while (st.executeStep()) {
      RunSummary row;
      row.run_id = st.getColumn(0).getString();
      row.status = st.getColumn(1).getString();
      if (!st.getColumn(2).isNull()) row.exit_code = st.getColumn(2).getInt();
      row.started_at = st.getColumn(3).getString();
      row.duration_ms = st.getColumn(4).getInt64();
      row.report = st.getColumn(5).getString();
      if (started_ms) *started_ms = st.getColumn(6).getInt64();
      out.push_back(std::move(row));
    }
    if (with_stages) {
      SQLite::Statement stages(
          db_,
          "SELECT stage, status, batch FROM stages WHERE run_id = ? AND status NOT IN "
          "('skipped', 'not_started') ORDER BY seq");
      for (auto& row : out) {
        stages.reset();
        stages.bind(1, row.run_id);
        while (stages.executeStep()) {
          row.stages.push_back(
              {stages.getColumn(0).getString(), stages.getColumn(1).getString(),
               stages.getColumn(2).isNull() ? std::string() : stages.getColumn(2).getString()});
        }
      }
    }
    snapshot.commit();
    return out;
  }

  SQLite::Database db_;
};

void remove_db_files(const fs::path& db) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(path_from_text(path_text(db) + suffix), ignored);
  }
}

}  // namespace

std::unique_ptr<RunHistory> open_sqlite_history(const fs::path& db, bool check) {
  std::error_code ec;
  if (!fs::exists(db, ec)) throw HistoryUnusable(path_text(db) + " does not exist");
  try {
    auto h = std::make_unique<SqliteHistory>(db);
    h->check(check);
    h->tune_for_runs();
    return h;
  } catch (const SQLite::Exception& e) {
    throw HistoryUnusable(path_text(db) + ": " + e.what());
  } catch (const HistoryUnusable& e) {
    throw HistoryUnusable(path_text(db) + ": " + e.what());
  }
}

std::unique_ptr<RunHistory> rebuild_sqlite_history(const fs::path& db,
                                                   const std::vector<ReportOnRecord>& reports) {
  fs::path tmp = path_from_text(path_text(db) + ".rebuild");
  remove_db_files(tmp);
  {
    SqliteHistory fresh(tmp);
    fresh.create_schema();
    fresh.record_all(reports);
    fresh.check(false);
  }  // closed: the WAL is checkpointed into the file, which is now complete
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    // A WAL whose database is gone (deleted by hand, the WAL kept between runs) would be
    // replayed into the new file: it goes first.
    remove_db_files(db);
  } else {
    // Whatever was there is kept (until the next rebuild) for a post-mortem: a second name
    // for the file, so the history never stops existing under its own name (a reader at
    // this moment finds the old one, never none). Its WAL goes aside with it: left in place
    // it would be replayed into the new file.
    fs::path aside = path_from_text(path_text(db) + ".previous");
    remove_db_files(aside);
    fs::create_hard_link(db, aside, ec);
    if (ec) fs::copy_file(db, aside, fs::copy_options::overwrite_existing, ec);
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      fs::rename(path_from_text(path_text(db) + suffix), path_from_text(path_text(aside) + suffix),
                 ec);
    }
  }
  fs::rename(tmp, db);  // replaces the old name in one step
  return open_sqlite_history(db, false);
}

}  // namespace pipeline
