#include "records/sqlite_state.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/paths.hpp"

namespace pipeline {
namespace {

constexpr int kStateSchemaVersion = 1;

constexpr const char* kStateSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, event TEXT NOT NULL,
  run_id TEXT NOT NULL, status TEXT NOT NULL, payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
  tried_ms INTEGER NOT NULL DEFAULT 0, last_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS run_counters (status TEXT PRIMARY KEY, runs INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS windows (
  stage TEXT NOT NULL, grid TEXT NOT NULL, start_s INTEGER NOT NULL, end_s INTEGER NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, runs INTEGER NOT NULL DEFAULT 0,
  run_id TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '', counts TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (stage, grid, start_s)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS windows_open ON windows (stage, grid, start_s)
  WHERE state != 'succeeded';
CREATE TABLE IF NOT EXISTS window_grids (
  stage TEXT NOT NULL, grid TEXT NOT NULL, known_until INTEGER NOT NULL,
  PRIMARY KEY (stage, grid));
CREATE TABLE IF NOT EXISTS input_failures (
  stage TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  failures INTEGER NOT NULL, runs TEXT NOT NULL, error TEXT NOT NULL,
  PRIMARY KEY (stage, path)) WITHOUT ROWID;
)sql";

// Opens the store, creating its tables when new; throws when it is another schema's.
void open_store(SQLite::Database& db, const std::filesystem::path& path) {
  db.setBusyTimeout(5000);
  int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version != 0 && version != kStateSchemaVersion) {
    throw std::runtime_error(path_text(path) + " is a state store of schema " +
                             std::to_string(version) + ", not " +
                             std::to_string(kStateSchemaVersion));
  }
  db.exec("PRAGMA journal_mode = WAL");
  // What is kept must survive a power cut: each commit reaches the disk.
  db.exec("PRAGMA synchronous = FULL");
  SQLite::Transaction tx(db);
  db.exec(kStateSchema);
  // A store from before the retry clock (tried_ms, last_ms) gets its columns.
  if (db.execAndGet("SELECT count(*) FROM pragma_table_info('alerts') WHERE name = 'tried_ms'")
          .getInt() == 0) {
    db.exec("ALTER TABLE alerts ADD COLUMN tried_ms INTEGER NOT NULL DEFAULT 0");
    db.exec("ALTER TABLE alerts ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0");
  }
  if (version == 0) db.exec("PRAGMA user_version = " + std::to_string(kStateSchemaVersion));
  tx.commit();
}

class SqliteOutbox final : public AlertOutbox {
 public:
  explicit SqliteOutbox(const std::filesystem::path& path)
      : db_(path_text(path), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    open_store(db_, path);
  }

  std::int64_t add(const PendingAlert& a) override {
    SQLite::Statement st(db_,
                         "INSERT INTO alerts (channel, event, run_id, status, payload, created_ms, "
                         "attempts, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, a.channel);
    st.bind(2, a.event);
    st.bind(3, a.run_id);
    st.bind(4, a.status);
    st.bind(5, a.payload);
    st.bind(6, a.created_ms);
    st.bind(7, a.attempts);
    st.bind(8, a.last_error);
    st.exec();
    return db_.getLastInsertRowid();
  }

  std::vector<PendingAlert> pending() override {
    SQLite::Statement st(db_,
                         "SELECT id, channel, event, run_id, status, payload, created_ms, "
                         "attempts, last_error, tried_ms, last_ms FROM alerts ORDER BY id");
    std::vector<PendingAlert> out;
    while (st.executeStep()) {
      PendingAlert a;
      a.id = st.getColumn(0).getInt64();
      a.channel = st.getColumn(1).getString();
      a.event = st.getColumn(2).getString();
      a.run_id = st.getColumn(3).getString();
      a.status = st.getColumn(4).getString();
      a.payload = st.getColumn(5).getString();
      a.created_ms = st.getColumn(6).getInt64();
      a.attempts = st.getColumn(7).getInt();
      a.last_error = st.getColumn(8).isNull() ? std::string() : st.getColumn(8).getString();
      a.tried_ms = st.getColumn(9).getInt64();
      a.last_ms = st.getColumn(10).getInt64();
      out.push_back(std::move(a));
    }
    return out;
  }

  void failed(std::int64_t id, const std::string& error, std::int64_t tried_ms,
              std::int64_t now_ms) override {
    SQLite::Statement st(db_,
                         "UPDATE alerts SET attempts = attempts + 1, last_error = ?, tried_ms = ?, "
                         "last_ms = ? WHERE id = ?");
    st.bind(1, error);
    st.bind(2, tried_ms);
    st.bind(3, now_ms);
    st.bind(4, id);
    st.exec();
  }

  void remove(std::int64_t id) override {
    SQLite::Statement st(db_, "DELETE FROM alerts WHERE id = ?");
    st.bind(1, id);
    st.exec();
  }

 private:
  SQLite::Database db_;
};

constexpr const char* kWindowColumns =
    "start_s, end_s, state, attempts, runs, run_id, updated_ms, error, counts";

WindowRow window_row(SQLite::Statement& st) {
  WindowRow w;
  w.start = st.getColumn(0).getInt64();
  w.end = st.getColumn(1).getInt64();
  w.state = window_state_from_string(st.getColumn(2).getString()).value_or(WindowState::kPending);
  w.attempts = st.getColumn(3).getInt();
  w.runs = st.getColumn(4).getInt();
  w.run_id = st.getColumn(5).getString();
  w.updated_ms = st.getColumn(6).getInt64();
  w.error = st.getColumn(7).getString();
  const auto counts = nlohmann::json::parse(st.getColumn(8).getString(), nullptr, false);
  if (counts.is_object()) {
    for (const auto& [name, v] : counts.items()) {
      if (v.is_number_integer()) w.counts[name] = v.get<std::int64_t>();
    }
  }
  return w;
}

class SqliteWindowStore final : public WindowStore {
 public:
  explicit SqliteWindowStore(const std::filesystem::path& path)
      : db_(path_text(path), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    open_store(db_, path);
  }

  std::optional<std::int64_t> known_until(const WindowKey& key) override {
    SQLite::Statement st(db_, "SELECT known_until FROM window_grids WHERE stage = ? AND grid = ?");
    bind_key(st, key);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getInt64();
  }

  void add(const WindowKey& key, const std::vector<std::pair<std::int64_t, std::int64_t>>& windows,
           std::int64_t until) override {
    SQLite::Transaction tx(db_);
    SQLite::Statement put(db_,
                          "INSERT OR IGNORE INTO windows (stage, grid, start_s, end_s, state) "
                          "VALUES (?, ?, ?, ?, 'pending')");
    for (const auto& [start, end] : windows) {
      put.reset();
      bind_key(put, key);
      put.bind(3, start);
      put.bind(4, end);
      put.exec();
    }
    mark_known(key, until);
    tx.commit();
  }

  std::vector<WindowRow> open(const WindowKey& key, std::size_t limit) override {
    SQLite::Statement st(db_, std::string("SELECT ") + kWindowColumns +
                                  " FROM windows WHERE stage = ? AND grid = ? AND state != "
                                  "'succeeded' ORDER BY start_s LIMIT ?");
    bind_key(st, key);
    st.bind(3, static_cast<std::int64_t>(limit));
    return rows(st);
  }

  std::size_t open_count(const WindowKey& key, std::int64_t due_by) override {
    SQLite::Statement st(db_,
                         "SELECT count(*) FROM windows WHERE stage = ? AND grid = ? AND state != "
                         "'succeeded' AND end_s <= ?");
    bind_key(st, key);
    st.bind(3, due_by);
    st.executeStep();
    return static_cast<std::size_t>(st.getColumn(0).getInt64());
  }

  std::vector<WindowRow> overlapping(const WindowKey& key, std::int64_t from,
                                     std::int64_t until) override {
    SQLite::Statement st(db_, std::string("SELECT ") + kWindowColumns +
                                  " FROM windows WHERE stage = ? AND grid = ? AND start_s < ? "
                                  "AND end_s > ? ORDER BY start_s");
    bind_key(st, key);
    st.bind(3, until);
    st.bind(4, from);
    return rows(st);
  }

  void put(const WindowKey& key, const WindowRow& w) override {
    SQLite::Statement st(db_, kPutWindow);
    bind_row(st, key, w);
    st.exec();
  }

  void restore(const WindowKey& key, const std::vector<WindowRow>& rows,
               std::int64_t until) override {
    SQLite::Transaction tx(db_);
    SQLite::Statement st(db_, kPutWindow);
    for (const auto& w : rows) {
      st.reset();
      bind_row(st, key, w);
      st.exec();
    }
    mark_known(key, until);
    tx.commit();
  }

  std::vector<WindowRow> reset(const WindowKey& key, std::int64_t from, std::int64_t until,
                               const std::string& by_run, std::int64_t now_ms) override {
    SQLite::Transaction tx(db_);
    std::vector<WindowRow> before = overlapping(key, from, until);
    SQLite::Statement st(db_,
                         "UPDATE windows SET state = 'pending', run_id = ?, updated_ms = ?, "
                         "error = '' WHERE stage = ? AND grid = ? AND start_s < ? AND end_s > ?");
    st.bind(1, by_run);
    st.bind(2, now_ms);
    st.bind(3, key.stage);
    st.bind(4, key.grid);
    st.bind(5, until);
    st.bind(6, from);
    st.exec();
    tx.commit();
    return before;
  }

 private:
  static constexpr const char* kPutWindow =
      "INSERT OR REPLACE INTO windows (stage, grid, start_s, end_s, state, attempts, runs, "
      "run_id, updated_ms, error, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  void mark_known(const WindowKey& key, std::int64_t until) {
    SQLite::Statement mark(db_,
                           "INSERT INTO window_grids VALUES (?, ?, ?) ON CONFLICT (stage, grid) "
                           "DO UPDATE SET known_until = excluded.known_until");
    bind_key(mark, key);
    mark.bind(3, until);
    mark.exec();
  }

  static void bind_row(SQLite::Statement& st, const WindowKey& key, const WindowRow& w) {
    bind_key(st, key);
    st.bind(3, w.start);
    st.bind(4, w.end);
    st.bind(5, std::string(to_string(w.state)));
    st.bind(6, w.attempts);
    st.bind(7, w.runs);
    st.bind(8, w.run_id);
    st.bind(9, w.updated_ms);
    st.bind(10, w.error);
    st.bind(11, nlohmann::json(w.counts).dump());
  }
  static void bind_key(SQLite::Statement& st, const WindowKey& key) {
    st.bind(1, key.stage);
    st.bind(2, key.grid);
  }
  static std::vector<WindowRow> rows(SQLite::Statement& st) {
    std::vector<WindowRow> out;
    while (st.executeStep()) out.push_back(window_row(st));
    return out;
  }

  SQLite::Database db_;
};

class SqliteInputFailureStore final : public InputFailureStore {
 public:
  explicit SqliteInputFailureStore(const std::filesystem::path& path)
      : db_(path_text(path), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    open_store(db_, path);
  }

  std::optional<InputFailures> get(const std::string& stage, const std::string& path) override {
    SQLite::Statement st(db_,
                         "SELECT size, mtime_ns, failures, runs, error FROM input_failures "
                         "WHERE stage = ? AND path = ?");
    st.bind(1, stage);
    st.bind(2, path);
    if (!st.executeStep()) return std::nullopt;
    InputFailures row;
    row.stage = stage;
    row.path = path;
    row.size = static_cast<std::uint64_t>(st.getColumn(0).getInt64());
    row.mtime_ns = st.getColumn(1).getInt64();
    row.failures = st.getColumn(2).getInt();
    auto runs = nlohmann::json::parse(st.getColumn(3).getString(), nullptr, false);
    if (runs.is_array()) {
      for (const auto& r : runs) {
        if (r.is_string()) row.runs.push_back(r.get<std::string>());
      }
    }
    row.error = st.getColumn(4).getString();
    return row;
  }

  void put(const InputFailures& row) override {
    SQLite::Statement st(db_, "INSERT OR REPLACE INTO input_failures VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, row.stage);
    st.bind(2, row.path);
    st.bind(3, static_cast<std::int64_t>(row.size));
    st.bind(4, row.mtime_ns);
    st.bind(5, row.failures);
    st.bind(6, nlohmann::json(row.runs).dump());
    st.bind(7, row.error);
    st.exec();
  }

  void erase(const std::string& stage, const std::string& path) override {
    SQLite::Statement st(db_, "DELETE FROM input_failures WHERE stage = ? AND path = ?");
    st.bind(1, stage);
    st.bind(2, path);
    st.exec();
  }

 private:
  SQLite::Database db_;
};

}  // namespace

std::unique_ptr<InputFailureStore> open_sqlite_input_failures(const std::filesystem::path& db) {
  try {
    return std::make_unique<SqliteInputFailureStore>(db);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(path_text(db) + ": " + e.what());
  }
}

std::unique_ptr<WindowStore> open_sqlite_window_store(const std::filesystem::path& db) {
  try {
    return std::make_unique<SqliteWindowStore>(db);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(path_text(db) + ": " + e.what());
  }
}

std::map<std::string, std::uint64_t> count_run(const std::filesystem::path& path,
                                               const std::string& status,
                                               const std::map<std::string, std::size_t>& seed) {
  try {
    SQLite::Database db(path_text(path), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    open_store(db, path);
    SQLite::Transaction tx(db);
    if (db.execAndGet("SELECT count(*) FROM run_counters").getInt64() == 0) {
      SQLite::Statement put(db, "INSERT INTO run_counters VALUES (?, ?)");
      for (const auto& [s, n] : seed) {
        put.reset();
        put.bind(1, s);
        put.bind(2, static_cast<std::int64_t>(n));
        put.exec();
      }
      // The history could not count this run (it was not recorded): it counts here.
      SQLite::Statement self(db, "INSERT OR IGNORE INTO run_counters VALUES (?, 1)");
      self.bind(1, status);
      self.exec();
    } else {
      SQLite::Statement add(db,
                            "INSERT INTO run_counters VALUES (?, 1) ON CONFLICT(status) DO UPDATE "
                            "SET runs = runs + 1");
      add.bind(1, status);
      add.exec();
    }
    tx.commit();
    std::map<std::string, std::uint64_t> out;
    SQLite::Statement all(db, "SELECT status, runs FROM run_counters");
    while (all.executeStep()) {
      out[all.getColumn(0).getString()] = static_cast<std::uint64_t>(all.getColumn(1).getInt64());
    }
    return out;
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(path_text(path) + ": " + e.what());
  }
}

std::optional<std::string> state_store_damage(const std::filesystem::path& db) {
  try {
    SQLite::Database d(path_text(db), SQLite::OPEN_READWRITE);
    d.setBusyTimeout(5000);
    const int version = d.execAndGet("PRAGMA user_version").getInt();
    if (version != 0 && version != kStateSchemaVersion) {
      return "it is a state store of schema " + std::to_string(version) + ", not " +
             std::to_string(kStateSchemaVersion);
    }
    std::string result = d.execAndGet("PRAGMA quick_check").getString();
    if (result != "ok") return "quick_check says: " + result;
    return std::nullopt;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return std::string(e.what());
    throw std::runtime_error(path_text(db) + ": " + e.what());
  }
}

std::filesystem::path move_state_store_aside(const std::filesystem::path& db,
                                             const std::string& stamp) {
  namespace fs = std::filesystem;
  fs::path aside = path_from_text(path_text(db) + ".damaged-" + stamp);
  fs::rename(db, aside);  // throws fs::filesystem_error with the reason
  // Its WAL and journal go with it: left in place they would be replayed into the new store.
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::rename(path_from_text(path_text(db) + suffix), path_from_text(path_text(aside) + suffix),
               ec);
  }
  return aside;
}

std::unique_ptr<AlertOutbox> open_sqlite_outbox(const std::filesystem::path& db) {
  try {
    return std::make_unique<SqliteOutbox>(db);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(path_text(db) + ": " + e.what());
  }
}

}  // namespace pipeline
