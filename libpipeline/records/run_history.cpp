#include "records/run_history.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <system_error>

namespace pipeline {
namespace {

using nlohmann::json;

constexpr int kSchemaVersion = 1;

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

std::int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Binds a JSON value: null stays NULL, so a missing exit code is not a zero.
void bind_json(SQLite::Statement& st, int index, const json& v) {
  if (v.is_null()) {
    st.bind(index);
  } else if (v.is_boolean()) {
    st.bind(index, v.get<bool>() ? 1 : 0);
  } else if (v.is_number_integer()) {
    st.bind(index, v.get<std::int64_t>());
  } else if (v.is_string()) {
    st.bind(index, v.get<std::string>());
  } else {
    st.bind(index, v.dump());
  }
}

json at(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? json(nullptr) : *it;
}

class SqliteHistory final : public RunHistory {
 public:
  explicit SqliteHistory(const fs::path& path)
      : db_(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db_.setBusyTimeout(5000);
    db_.exec("PRAGMA foreign_keys = ON");
  }

  void create_schema() {
    db_.exec("PRAGMA journal_mode = WAL");
    SQLite::Transaction tx(db_);
    db_.exec(kSchema);
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
    db_.exec("PRAGMA synchronous = FULL");
  }

  void record(const json& r, const std::string& report_path) override {
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
  std::size_t record_all(const std::vector<std::pair<json, std::string>>& reports) {
    SQLite::Transaction tx(db_);
    std::size_t n = 0;
    for (const auto& [r, path] : reports) {
      if (!at(r, "run_id").is_string()) continue;
      insert(r, path);
      ++n;
    }
    tx.commit();
    return n;
  }

  std::vector<json> list(const HistoryQuery& q) override {
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
    if (q.since) st.bind(":since", to_ms(*q.since));
    if (!q.stage.empty()) st.bind(":stage", q.stage);
    st.bind(":limit", static_cast<std::int64_t>(q.limit));
    std::vector<json> out;
    while (st.executeStep()) {
      json row = {
          {"run_id", st.getColumn(0).getString()},
          {"status", st.getColumn(1).getString()},
          {"exit_code", st.getColumn(2).isNull() ? json(nullptr) : json(st.getColumn(2).getInt())},
          {"started_at", st.getColumn(3).getString()},
          {"duration_ms", st.getColumn(4).getInt64()},
          {"report", st.getColumn(5).getString()},
          {"stages", json::array()}};
      out.push_back(std::move(row));
    }
    SQLite::Statement stages(db_,
                             "SELECT stage, status, batch FROM stages WHERE run_id = ? AND status "
                             "NOT IN ('skipped', 'not_started') ORDER BY seq");
    for (auto& row : out) {
      stages.reset();
      stages.bind(1, row["run_id"].get<std::string>());
      while (stages.executeStep()) {
        row["stages"].push_back(
            {{"name", stages.getColumn(0).getString()},
             {"status", stages.getColumn(1).getString()},
             {"batch", stages.getColumn(2).isNull() ? json(nullptr)
                                                    : json(stages.getColumn(2).getString())}});
      }
    }
    return out;
  }

  std::vector<std::pair<std::string, std::string>> find(const std::string& prefix,
                                                        std::size_t max) override {
    // Run ids are lower-case hex and '-': a range scan on the primary key finds the prefix.
    SQLite::Statement st(db_,
                         "SELECT run_id, report FROM runs WHERE run_id >= ?1 AND run_id < ?1 || "
                         "'~' ORDER BY started_ms DESC, run_id DESC LIMIT ?2");
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

  std::size_t count() override {
    return static_cast<std::size_t>(db_.execAndGet("SELECT count(*) FROM runs").getInt64());
  }

 private:
  void insert(const json& r, const std::string& report_path) {
    std::string run_id = at(r, "run_id").is_string() ? r["run_id"].get<std::string>() : "";
    if (run_id.empty()) throw HistoryUnusable("a report without run_id: " + report_path);
    json started = at(r, "started_at");
    auto started_tp =
        started.is_string() ? parse_rfc3339(started.get<std::string>()) : std::nullopt;
    SQLite::Statement del(db_, "DELETE FROM runs WHERE run_id = ?");
    del.bind(1, run_id);
    del.exec();
    SQLite::Statement run(db_, "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bind_json(run, 1, run_id);
    bind_json(run, 2, at(r, "pipeline").is_string() ? at(r, "pipeline") : json(""));
    bind_json(run, 3, at(r, "status").is_string() ? at(r, "status") : json("error"));
    bind_json(run, 4, at(r, "exit_code"));
    bind_json(run, 5, started);
    run.bind(6, started_tp ? to_ms(*started_tp) : std::int64_t{0});
    bind_json(run, 7, at(r, "finished_at"));
    bind_json(run, 8, at(r, "duration_ms"));
    bind_json(run, 9, at(r, "host"));
    bind_json(run, 10, at(r, "pid"));
    run.bind(11, report_path);
    run.exec();

    SQLite::Statement stage(db_, "INSERT INTO stages VALUES (?, ?, ?, ?, ?, ?, ?)");
    SQLite::Statement attempt(db_, "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int seq = 0;
    for (const auto& s : at(r, "stages").is_array() ? r["stages"] : json::array()) {
      ++seq;
      stage.reset();
      bind_json(stage, 1, run_id);
      stage.bind(2, seq);
      bind_json(stage, 3, at(s, "name").is_string() ? at(s, "name") : json("?"));
      bind_json(stage, 4, at(s, "batch"));
      bind_json(stage, 5, at(s, "status").is_string() ? at(s, "status") : json("?"));
      bind_json(stage, 6, at(at(s, "decision"), "reason"));
      bind_json(stage, 7, at(s, "inputs_count"));
      stage.exec();
      int n = 0;
      for (const auto& a : at(s, "attempts").is_array() ? s["attempts"] : json::array()) {
        attempt.reset();
        bind_json(attempt, 1, run_id);
        attempt.bind(2, seq);
        attempt.bind(3, at(a, "attempt").is_number_integer() ? a["attempt"].get<int>() : ++n);
        bind_json(attempt, 4, at(a, "started_at"));
        bind_json(attempt, 5, at(a, "duration_ms"));
        bind_json(attempt, 6, at(a, "exit_code"));
        bind_json(attempt, 7, at(a, "signal"));
        bind_json(attempt, 8, at(a, "timed_out"));
        bind_json(attempt, 9, at(a, "hung"));
        bind_json(attempt, 10, at(a, "completed_by"));
        attempt.exec();
      }
    }
    SQLite::Statement batch(db_, "INSERT INTO batches VALUES (?, ?, ?, ?, ?)");
    for (const auto& b : at(r, "batches").is_array() ? r["batches"] : json::array()) {
      batch.reset();
      bind_json(batch, 1, run_id);
      bind_json(batch, 2, at(b, "id").is_string() ? at(b, "id") : json("?"));
      bind_json(batch, 3, at(b, "status").is_string() ? at(b, "status") : json("?"));
      bind_json(batch, 4, at(b, "moved_to"));
      bind_json(batch, 5, at(b, "error"));
      batch.exec();
    }
  }

  SQLite::Database db_;
};

void remove_db_files(const fs::path& db) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(fs::path(db.string() + suffix), ignored);
  }
}

}  // namespace

std::unique_ptr<RunHistory> open_history(const fs::path& db, bool check) {
  std::error_code ec;
  if (!fs::exists(db, ec)) throw HistoryUnusable(db.string() + " does not exist");
  try {
    auto h = std::make_unique<SqliteHistory>(db);
    h->check(check);
    return h;
  } catch (const SQLite::Exception& e) {
    throw HistoryUnusable(db.string() + ": " + e.what());
  } catch (const HistoryUnusable& e) {
    throw HistoryUnusable(db.string() + ": " + e.what());
  }
}

std::unique_ptr<RunHistory> rebuild_history(
    const fs::path& db, const std::vector<std::pair<json, std::string>>& reports) {
  fs::path tmp = db.string() + ".rebuild";
  remove_db_files(tmp);
  {
    SqliteHistory fresh(tmp);
    fresh.create_schema();
    fresh.record_all(reports);
    fresh.check(false);
  }  // closed: the WAL is checkpointed into the file, which is now complete
  std::error_code ec;
  if (fs::exists(db, ec)) {
    // Whatever was there is kept (until the next rebuild) for a post-mortem: a second name
    // for the file, so the history never stops existing under its own name (a reader at
    // this moment finds the old one, never none). Its WAL goes aside with it: left in place
    // it would be replayed into the new file.
    fs::path aside = db.string() + ".previous";
    remove_db_files(aside);
    fs::create_hard_link(db, aside, ec);
    if (ec) fs::copy_file(db, aside, fs::copy_options::overwrite_existing, ec);
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      fs::rename(db.string() + suffix, aside.string() + suffix, ec);
    }
  }
  fs::rename(tmp, db);  // replaces the old name in one step
  return open_history(db, false);
}

}  // namespace pipeline
