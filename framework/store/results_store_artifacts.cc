// The results store's failure artifacts: traces stored once per campaign,
// crash-state files, and the links between a failure and its shrunk forms.
#include <sqlite3.h>

#include <fmt/format.h>

#include "faults/block/block_log.h"
#include "faults/fast_digest.h"
#include "faults/trace_encoding.h"
#include "framework/store/compression.h"
#include "framework/store/results_store.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {

using results_store_sql::Binder;
using results_store_sql::ColumnBlob;
using results_store_sql::ResetOnExit;

namespace {

// A trace's identity within its campaign: content digest and size.
std::string TraceDigest(const std::string& trace) {
  return fmt::format("fd1:{:016x}:{}", faults::ContentDigest(trace), trace.size());
}

}  // namespace

Result<int64_t> ResultsStore::TraceId(int64_t campaign_id, const std::string& trace,
                                      const std::string& what) {
  const std::string digest = TraceDigest(trace);
  {
    Result<sqlite3_stmt*> find =
        Prepared(find_trace_, "SELECT id FROM traces WHERE campaign_id = ?1 AND digest = ?2");
    if (!find.ok()) return find.status();
    ResetOnExit reset{*find};
    Binder bind(*find);
    bind.Int(campaign_id).Text(digest);
    if (!bind.ok()) return Error(what + ": finding its trace");
    const int rc = sqlite3_step(*find);
    if (rc == SQLITE_ROW) return sqlite3_column_int64(*find, 0);
    if (rc != SQLITE_DONE) return Error(what + ": finding its trace");
  }
  Result<sqlite3_stmt*> insert =
      Prepared(insert_trace_, "INSERT INTO traces (campaign_id, digest, data) VALUES (?1, ?2, ?3)");
  if (!insert.ok()) return insert.status();
  ResetOnExit reset{*insert};
  // Traces are a few MB of mostly repeated page images: zlib stores them in
  // a fraction of that.
  const std::string compressed = Compress(trace);
  Binder bind(*insert);
  bind.Int(campaign_id).Text(digest).BlobOrNull(compressed);
  if (!bind.ok() || sqlite3_step(*insert) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return Fail(what + ": no such campaign");
    }
    return Error(what + ": storing its trace");
  }
  return sqlite3_last_insert_rowid(db_.get());
}

Result<int64_t> ResultsStore::StoreTrace(int64_t campaign_id, const std::string& trace) {
  int64_t id = 0;
  Status s = InTransaction("storing a trace", [&]() -> Status {
    Result<int64_t> stored =
        TraceId(campaign_id, trace, "storing a trace of campaign " + std::to_string(campaign_id));
    if (!stored.ok()) return stored.status();
    id = *stored;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Status ResultsStore::LoadArtifacts(FailureRecord& failure) {
  const std::string what = "reading the artifacts of failure " + std::to_string(failure.id);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT t.data, f.crash_files, coalesce(f.trace_id, 0) FROM failures f "
                         "LEFT JOIN traces t ON t.id = f.trace_id WHERE f.id = ?1",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  Statement stmt(raw);
  if (sqlite3_bind_int64(raw, 1, failure.id) != SQLITE_OK) return Error(what);
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return Fail(what + ": no such failure");
  if (rc != SQLITE_ROW) return Error(what);
  // A damaged artifact is not an error here: the failure's other fields
  // still read, and each command says what it cannot do without it.
  failure.damaged.clear();
  auto damaged = [&](const std::string& artifact, const std::string& row, const Status& why) {
    if (!failure.damaged.empty()) failure.damaged += "; ";
    failure.damaged +=
        fmt::format("the {} of failure {} ({} in {}) {} damaged: {}", artifact, failure.id, row,
                    path_, artifact == "trace" ? "is" : "are", why.message());
  };
  // A trace is checked by its magic only (junk in the row), not parsed: a
  // report would parse each one twice; what parses badly past its header
  // is told by the reader ("the stored trace is damaged at byte ...").
  const std::string trace_row = fmt::format("row {} of table traces", sqlite3_column_int64(raw, 2));
  failure.trace.clear();
  if (Result<std::string> trace = Decompress(ColumnBlob(raw, 0)); !trace.ok()) {
    damaged("trace", trace_row, trace.status());
  } else if (!trace->empty() &&
             !std::string_view(*trace).starts_with(
                 std::string_view(faults::encoding::kMagic, sizeof faults::encoding::kMagic)) &&
             !std::string_view(*trace).starts_with(faults::kBlockLogMagic)) {
    damaged("trace", trace_row,
            Status::Error("it does not start with the magic of a trace or of a block log"));
  } else {
    failure.trace = std::move(*trace);
  }
  failure.crash_files.clear();
  if (Result<std::string> files = Decompress(ColumnBlob(raw, 1)); !files.ok()) {
    damaged("crash files",
            fmt::format("column crash_files of row {} of table failures", failure.id),
            files.status());
  } else {
    failure.crash_files = std::move(*files);
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> ResultsStore::ShrunkFrom(int64_t failure_id) {
  const std::string what = "finding the failures shrunk from failure " + std::to_string(failure_id);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "SELECT id FROM failures WHERE shrunk_from = ?1 ORDER BY id",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  Statement stmt(raw);
  if (sqlite3_bind_int64(raw, 1, failure_id) != SQLITE_OK) return Error(what);
  std::vector<int64_t> ids;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(raw, 0));
  if (rc != SQLITE_DONE) return Error(what);
  return ids;
}

}  // namespace crashlab
