#include "records/sqlite_state.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "util/paths.hpp"

namespace pipeline {
namespace {

constexpr int kStateSchemaVersion = 1;

constexpr const char* kStateSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, event TEXT NOT NULL,
  run_id TEXT NOT NULL, status TEXT NOT NULL, payload TEXT NOT NULL,
  created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE IF NOT EXISTS run_counters (status TEXT PRIMARY KEY, runs INTEGER NOT NULL);
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
                         "attempts, last_error FROM alerts ORDER BY id");
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
      out.push_back(std::move(a));
    }
    return out;
  }

  void failed(std::int64_t id, const std::string& error) override {
    SQLite::Statement st(db_,
                         "UPDATE alerts SET attempts = attempts + 1, last_error = ? WHERE id = ?");
    st.bind(1, error);
    st.bind(2, id);
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

}  // namespace

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

std::unique_ptr<AlertOutbox> open_sqlite_outbox(const std::filesystem::path& db) {
  try {
    return std::make_unique<SqliteOutbox>(db);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(path_text(db) + ": " + e.what());
  }
}

}  // namespace pipeline
