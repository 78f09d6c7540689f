// Bugs found by using crashlab the way an adversary would (issue 17, item
// 10): engines with odd files, damaged databases, junk files given as
// databases, awkward paths. Each test failed before its fix.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

// Runs `sql`, which changes the database at `db` (Query only reads).
void Exec(const std::string& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  char* error = nullptr;
  const bool ok = sqlite3_open(db.c_str(), &handle) == SQLITE_OK &&
                  sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK;
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(handle);
  if (!ok) throw std::runtime_error("cannot run " + sql + " on " + db + ": " + message);
}

// A database with power-loss failures of the fake engine's torn variant,
// each with its trace.
std::string DatabaseWithFailures(const TempDir& dir) {
  const std::string db = dir / "failures.db";
  const auto r = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "torn", "--seed", "3",
                              "--cases", "6", "--crash", "power-loss", "--db", db});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  return db;
}

TEST(Adversarial, PowerLossOfAnEngineWithA1TiBSparseFile_IsAClearErrorNotBadAlloc) {
  // One ftruncate made a 1 TiB file; the model held file images whole and
  // asked for 1 TiB (std::bad_alloc, SIGABRT).
  TempDir dir;
  const auto r = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "sparse-1tib", "--seed",
                              "3", "--cases", "2", "--crash", "power-loss", "--db", dir / "db",
                              "--workdir", dir / "cases"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("makes sparse 1099511627776 bytes long, more than the largest file "
                       "crashlab builds crash states of (1073741824 bytes"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Query(dir / "db", "SELECT 1 FROM cases").empty());
}

TEST(Adversarial, DamagedSizeInACompressedTrace_NamesTheRowAndTheRestIsReported) {
  // The 8-byte size after "CLZ1" set to 2^60: repro, explain and report
  // allocated it first (std::bad_alloc).
  TempDir dir;
  const std::string db = DatabaseWithFailures(dir);
  const std::vector<Row> failure =
      Query(db, "SELECT id, trace_id FROM failures WHERE trace_id IS NOT NULL ORDER BY id LIMIT 1");
  ASSERT_EQ(failure.size(), 1u);
  const std::string id = failure[0].at("id"), trace = failure[0].at("trace_id");
  Exec(db, "UPDATE traces SET data = X'434C5A310000000000000010' || substr(data, 13) WHERE id = " +
               trace);
  const std::string row = "the trace of failure " + id + " (row " + trace + " of table traces in " +
                          db +
                          ") is damaged: a compressed blob claims "
                          "1152921504606846976 bytes";

  const auto repro = RunCrashlab({"repro", id, "--db", db});
  EXPECT_EQ(repro.exit_code, 2) << repro.out << repro.err;
  EXPECT_NE(repro.err.find(row), std::string::npos) << repro.err;
  EXPECT_NE(repro.err.find("repro --rerun runs the workload again"), std::string::npos);

  const auto explain = RunCrashlab({"explain", id, "--db", db});
  EXPECT_EQ(explain.exit_code, 2) << explain.out << explain.err;
  EXPECT_NE(explain.err.find(row), std::string::npos) << explain.err;
  EXPECT_NE(explain.out.find("what happened: "), std::string::npos) << explain.out;

  const auto report = RunCrashlab({"report", "--db", db, "-o", dir / "report.html"});
  EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
  const std::string html = ReadFile(dir / "report.html");
  EXPECT_NE(html.find("Damaged: " + row), std::string::npos);
  // The other failures are told as before, with their timelines.
  EXPECT_NE(html.find("I/O around the crash point"), std::string::npos);
}

}  // namespace
}  // namespace crashlab::e2e
