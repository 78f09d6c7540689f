// Internal to the results store's .cc files (results_store*.cc): small
// helpers over the SQLite C API. Not part of crashlab's interface.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "framework/base/vocabulary.h"

namespace crashlab::results_store_sql {

// How long a connection waits for another process's write lock.
inline constexpr int kBusyTimeoutMs = 10'000;

// Binds parameters ?1, ?2, ... in order and keeps the first error.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  // `value` must outlive the statement's next step (SQLITE_STATIC).
  Binder& Text(const std::string& value) {
    return Keep(sqlite3_bind_text64(stmt_, ++index_, value.data(), value.size(), SQLITE_STATIC,
                                    SQLITE_UTF8));
  }
  // Binary bytes; an empty value binds NULL.
  Binder& BlobOrNull(const std::string& value) {
    if (value.empty()) return Keep(sqlite3_bind_null(stmt_, ++index_));
    return Keep(sqlite3_bind_blob64(stmt_, ++index_, value.data(), value.size(), SQLITE_STATIC));
  }
  // A vocabulary word (Name(...)): static storage, so bound without a copy.
  Binder& Word(std::string_view word) {
    return Keep(
        sqlite3_bind_text64(stmt_, ++index_, word.data(), word.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  Binder& Int(int64_t value) { return Keep(sqlite3_bind_int64(stmt_, ++index_, value)); }
  Binder& Real(double value) { return Keep(sqlite3_bind_double(stmt_, ++index_, value)); }
  bool ok() const { return rc_ == SQLITE_OK; }

 private:
  Binder& Keep(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int index_ = 0;
  int rc_ = SQLITE_OK;
};

// Resets a cached statement when leaving scope. An unreset statement that
// returned a row keeps its read transaction open, which in WAL mode pins an old
// snapshot and stops checkpoints.
struct ResetOnExit {
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  sqlite3_stmt* stmt;
};

inline std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt, column));
}

// A BLOB column's bytes; "" for NULL.
inline std::string ColumnBlob(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  if (data == nullptr) return std::string();
  return std::string(static_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}
// Reads the vocabulary columns of one row as enums. A word crashlab does not
// know (a file edited by hand, or written by a crashlab whose vocabulary
// grew without a migration) reads as the enum's first value and sets
// error(), which names the row; the caller returns that error instead of
// the row.
class WordReader {
 public:
  // `row` names the row in errors: "case 12".
  WordReader(sqlite3_stmt* stmt, std::string row) : stmt_(stmt), row_(std::move(row)) {}
  CrashKind Kind(int column) { return Read(column, "crash kind", ParseCrashKind); }
  Contract ContractAt(int column) { return Read(column, "contract", ParseContract); }
  Verdict VerdictAt(int column) { return Read(column, "verdict", ParseVerdict); }
  // "" while every word read was known.
  const std::string& error() const { return error_; }

 private:
  template <typename E>
  E Read(int column, const char* noun, std::optional<E> (*parse)(std::string_view)) {
    const std::string word = ColumnText(stmt_, column);
    const std::optional<E> value = parse(word);
    if (!value && error_.empty()) {
      error_ = row_ + " has the " + noun + " \"" + word +
               "\", a word this crashlab does not know: read the file with the crashlab that "
               "wrote it";
    }
    return value.value_or(E{});
  }
  sqlite3_stmt* stmt_;
  std::string row_;
  std::string error_;
};

inline bool SeedFits(uint64_t seed) {
  return seed <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

inline std::string SeedTooLarge(uint64_t seed) {
  return "seed " + std::to_string(seed) + " is 2^63 or more; crashlab seeds are below 2^63";
}

}  // namespace crashlab::results_store_sql
