// store/sqlite.h (internal): small RAII helpers over the SQLite C API shared by the store's
// files: statements, transactions, read snapshots, and errors that name the fix.
#pragma once

#include <sqlite3.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "powertrain/store/store.h"

namespace powertrain {

// The connection of an open Store, for the store's own files (the SQLite study log).
struct StoreConnection {
  static sqlite3* of(const Store& store) { return store.db_; }
};

namespace sqlite {

// Throws a StoreError for an SQLite result code, with the fix where there is one.
[[noreturn]] inline void fail(sqlite3* db, const std::string& path, const std::string& action, int rc) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int sys_errno = db ? sqlite3_system_errno(db) : 0;
  std::string os = sys_errno != 0 ? std::string(" (") + std::strerror(sys_errno) + ")" : "";
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      throw StoreError(path + " is not a powertrain store (not an SQLite database): choose another --db path");
    case SQLITE_CORRUPT:
      throw StoreError(path + " is damaged (" + msg + "): restore it from a backup or pass --db PATH");
    case SQLITE_FULL:
      throw StoreError("cannot " + action + " in " + path + ": the disk is full" + os +
                       ": free some space or pass --db PATH");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw StoreBusyError("cannot " + action + " in " + path +
                           ": the store is locked by another process (waited 5 s): retry when it finishes");
    case SQLITE_READONLY:
      throw StoreError("cannot " + action + " in " + path + ": the store is read-only" + os +
                       ": make it and its directory writable or pass --db PATH");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_IOERR:
    case SQLITE_AUTH:
      throw StoreError("cannot " + action + " in " + path + ": " + msg + os +
                       ": check the file and its directory are writable or pass --db PATH");
    default:
      throw StoreError("cannot " + action + " in " + path + ": " + msg);
  }
}

inline void exec(sqlite3* db, const std::string& path, const char* sql, const std::string& action) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db, path, action, rc);
}

// A prepared statement, finalized when it dies. Binding NaN binds NULL; reading NULL
// as a double gives NaN.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db_, path_, "prepare a statement", rc);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void text(int i, const std::string& v) {
    check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void real(int i, double v) {
    check(std::isnan(v) ? sqlite3_bind_null(stmt_, i) : sqlite3_bind_double(stmt_, i, v));
  }
  // Binds v, or NULL when it is NaN or infinite.
  void finite(int i, double v) { check(std::isfinite(v) ? sqlite3_bind_double(stmt_, i, v) : sqlite3_bind_null(stmt_, i)); }
  void integer(int i, int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
  void null(int i) { check(sqlite3_bind_null(stmt_, i)); }

  // Steps once: true when a row is available, false when done.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, path_, "access the store", rc);
  }
  // Runs a statement that returns no rows, then readies it for new bindings.
  void run() {
    while (step()) {}
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  double col_real(int i) const { return is_null(i) ? NAN : sqlite3_column_double(stmt_, i); }
  int64_t col_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::string col_text(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, path_, "bind a value", rc);
  }
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A connection to a file of the caller's own (not a powertrain store, e.g. an export),
// opened read-write and created when missing; closed when destroyed or by close().
class Connection {
 public:
  explicit Connection(const std::string& path) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3* db = db_;
      db_ = nullptr;
      try {
        fail(db, path, "create the file", rc);
      } catch (...) {
        sqlite3_close(db);
        throw;
      }
    }
  }
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  void exec(const char* sql, const std::string& action) { sqlite::exec(db_, path_, sql, action); }
  // Returns the row id of the last INSERT.
  int64_t last_row_id() const { return sqlite3_last_insert_rowid(db_); }
  // sqlite3_close_v2: a statement still alive (a Stmt of the caller's scope) no longer keeps
  // the connection open for ever; it is freed when the last one is finalized. (sqlite3_close
  // refused with SQLITE_BUSY and the connection leaked: found by LeakSanitizer.)
  void close() {
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE now; ROLLBACK when destroyed without commit().
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
    exec(db_, path_, "BEGIN IMMEDIATE", "start a transaction");
  }
  ~Transaction() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() { exec(db_, path_, "COMMIT", "commit a transaction"); }

 private:
  sqlite3* db_;
  const std::string& path_;
};

// A read transaction, so several SELECTs see one snapshot while other processes write.
// Does nothing inside a transaction that is already open.
class ReadSnapshot {
 public:
  ReadSnapshot(sqlite3* db, const std::string& path) : db_(db) {
    if (sqlite3_get_autocommit(db_)) {
      exec(db_, path, "BEGIN", "start a read transaction");
      owned_ = true;
    }
  }
  ~ReadSnapshot() {
    if (owned_ && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
  bool owned_ = false;
};

}  // namespace sqlite
}  // namespace powertrain
