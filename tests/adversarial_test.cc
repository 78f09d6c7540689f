// Bugs found by using crashlab the way an adversary would (issue 17, item
// 10): engines with odd files, damaged databases, junk files given as
// databases, awkward paths. Each test failed before its fix.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
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

TEST(Adversarial, DamagedSizeInCompressedCrashFiles_NamesTheRow) {
  // A real kill's failure keeps the files the kill left, compressed.
  TempDir dir;
  const std::string db = dir / "kill.db";
  const auto run = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "ack-before-write",
                                "--seed", "3", "--cases", "4", "--db", db});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::vector<Row> failure =
      Query(db, "SELECT id FROM failures WHERE crash_files IS NOT NULL ORDER BY id LIMIT 1");
  ASSERT_EQ(failure.size(), 1u);
  const std::string id = failure[0].at("id");
  Exec(db,
       "UPDATE failures SET crash_files = X'434C5A310000000000000010' || "
       "substr(crash_files, 13) WHERE id = " +
           id);
  const auto repro = RunCrashlab({"repro", id, "--db", db});
  EXPECT_EQ(repro.exit_code, 2) << repro.out << repro.err;
  EXPECT_NE(repro.err.find("the crash files of failure " + id + " (column crash_files of row " +
                           id + " of table failures in " + db +
                           ") are damaged: a compressed "
                           "blob claims 1152921504606846976 bytes"),
            std::string::npos)
      << repro.err;
}

TEST(Adversarial, DamagedStoredTrace_IsADamagedRowAndLeavesNoTemporaryDirectory) {
  // Junk in a traces row was read as a trace: "trace file the stored trace
  // does not start with the magic ...; pass the file named by
  // CRASHLAB_TRACE", and repro left its crashlab-repro-* directory.
  TempDir dir;
  const std::string db = DatabaseWithFailures(dir);
  const std::vector<Row> failure =
      Query(db, "SELECT id, trace_id FROM failures WHERE trace_id IS NOT NULL ORDER BY id LIMIT 1");
  ASSERT_EQ(failure.size(), 1u);
  const std::string id = failure[0].at("id"), trace = failure[0].at("trace_id");
  Exec(db, "UPDATE traces SET data = CAST('junk, not a trace' AS BLOB) WHERE id = " + trace);
  std::filesystem::create_directories(dir / "tmp");
  const auto repro = RunCrashlab({"repro", id, "--db", db}, {{"TMPDIR", dir / "tmp"}});
  EXPECT_EQ(repro.exit_code, 2) << repro.out << repro.err;
  EXPECT_NE(repro.err.find("the trace of failure " + id + " (row " + trace +
                           " of table traces in " + db + ") is damaged"),
            std::string::npos)
      << repro.err;
  EXPECT_EQ(repro.err.find("trace file"), std::string::npos) << repro.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
}

TEST(Adversarial, ReadingCommandsOnAFileThatIsNoCrashlabDatabase_RefuseAndLeaveItAsItWas) {
  // An empty file, and a SQLite file nothing wrote, were made new results
  // databases by `failures` and `report` (exit 0, "0 failure(s)").
  TempDir dir;
  std::ofstream(dir / "text") << "not a database, just notes\n";
  std::ofstream(dir / "empty");
  Exec(dir / "foreign.db", "CREATE TABLE notes (line TEXT); INSERT INTO notes VALUES ('x')");
  Exec(dir / "no-tables.db", "CREATE TABLE t (a); DROP TABLE t");
  for (const std::string name : {"text", "empty", "foreign.db", "no-tables.db"}) {
    const std::string db = dir / name;
    const std::string before = ReadFile(db);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"failures", "--db", db},
          std::vector<std::string>{"report", "--db", db, "-o", dir / "report.html"},
          std::vector<std::string>{"explain", "1", "--db", db}}) {
      SCOPED_TRACE(name + " " + args[0]);
      const auto r = RunCrashlab(args);
      EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
      EXPECT_NE(r.err.find("results store " + db + ": "), std::string::npos) << r.err;
      EXPECT_TRUE(r.err.find("not a crashlab results database") != std::string::npos ||
                  r.err.find("it is not a SQLite database") != std::string::npos)
          << r.err;
      EXPECT_EQ(ReadFile(db), before);
      EXPECT_FALSE(std::filesystem::exists(db + "-wal"));
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "report.html"));
}

TEST(Adversarial, MergeRefusesEmptyJunkAndNewerInputsNamingEachByItsPath) {
  // An empty input merged as nothing (exit 0); a newer one was named by its
  // snapshot, /tmp/crashlab-merge-XXXXXX/snapshot.db, gone by then.
  TempDir dir;
  std::ofstream(dir / "empty.db");
  std::ofstream(dir / "junk.db") << "junk, not a database\n";
  Exec(dir / "newer.db", "CREATE TABLE campaigns (id); PRAGMA user_version = 999");
  Exec(dir / "no-tables.db", "CREATE TABLE t (a); DROP TABLE t");
  for (const std::string name : {"empty.db", "junk.db", "newer.db", "no-tables.db"}) {
    SCOPED_TRACE(name);
    const std::string input = dir / name;
    const std::string before = ReadFile(input);
    const auto r = RunCrashlab({"merge", input, "-o", dir / "merged.db"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("merge input " + input + ": "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("crashlab-merge-"), std::string::npos) << r.err;
    EXPECT_EQ(ReadFile(input), before);
    EXPECT_FALSE(std::filesystem::exists(dir / "merged.db"));  // nothing merged, nothing made
  }
  const auto newer = RunCrashlab({"merge", dir / "newer.db", "-o", dir / "merged.db"});
  EXPECT_NE(newer.err.find("schema version 999 is newer than this crashlab"), std::string::npos)
      << newer.err;
}

TEST(Adversarial, ResumedSoakWithoutWorkdir_GoesOnInTheDirectoryItsKilledPredecessorLeft) {
  // Each soak run made a fresh $TMPDIR/crashlab-XXXXXX: the one a SIGKILLed
  // soak left (its case in flight) stayed behind for good.
  TempDir dir;
  std::filesystem::create_directories(dir / "tmp");
  const std::vector<std::pair<std::string, std::string>> env{{"TMPDIR", dir / "tmp"}};
  const std::vector<std::string> soak{
      "soak",    "--duration", "12s",    "--engine", kFakeEngine, "--variant",    "correct",
      "--crash", "kill",       "--seed", "5",        "--db",      dir / "soak.db"};
  const auto killed = RunCrashlabKilledAfter(soak, 5000, env);
  ASSERT_NE(killed.exit_code, 0) << killed.out << killed.err;
  ASSERT_EQ(Query(dir / "soak.db", "SELECT status FROM soaks").at(0).at("status"), "running")
      << killed.out << killed.err;
  ASSERT_FALSE(std::filesystem::is_empty(dir / "tmp"));  // what the killed soak left
  // A case in flight in a slot the rotation does not come back to before the
  // budget ends (on a slow machine, most of them): only the resume's own
  // clean-up can remove it.
  int slots = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "tmp")) {
    if (entry.is_directory() && entry.path().filename() == "correct") {
      std::filesystem::create_directories(entry.path() / "case-100000");
      std::ofstream(entry.path() / "case-100000/log") << "run until the kill\n";
      ++slots;
    }
  }
  ASSERT_GT(slots, 0);

  std::vector<std::string> resume = soak;
  resume.push_back("--resume");
  const auto resumed = RunCrashlab(resume, env);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(Query(dir / "soak.db", "SELECT status FROM soaks").at(0).at("status"), "finished");
  // Every case passed, so nothing is kept: neither this run's directory nor
  // its predecessor's remains.
  // Everything left, to the files, so that a failure says what stayed.
  std::string left;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "tmp")) {
    left += entry.path().string() + " ";
  }
  EXPECT_EQ(left, "") << resumed.out;
}

TEST(Adversarial, PrintedReproLineWithSpacesAndQuotesInItsPaths_PastesIntoAShellAndRuns) {
  // The line printed the variants path and --db as they were: a shell split
  // "odd dir's" in two and met an unmatched quote.
  TempDir dir;
  const std::string odd = dir / "odd dir's \"x\" $HOME";
  std::filesystem::create_directories(odd);
  const std::string program =
      std::filesystem::path(kFakeEngine).parent_path() / "crashlab-fake-engine";
  const std::string variants = odd + "/variants.ini";
  std::ofstream(variants) << "[engine]\nname = odd\ncommand = " << program
                          << "\n\n[variant torn]\nargs = --mode=torn\nkill = durable\n"
                             "power-loss = durable\n";
  const std::string db = odd + "/my results.db";
  const auto run = RunCrashlab({"run", "--engine", variants, "--variant", "torn", "--seed", "3",
                                "--cases", "6", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::size_t at = run.out.find("repro: crashlab repro ");
  ASSERT_NE(at, std::string::npos) << run.out;
  const std::size_t start = at + std::string("repro: crashlab").size();
  std::string line = run.out.substr(start, run.out.find('\n', start) - start);
  line = "'" + std::string(CRASHLAB_BIN) + "'" + line;
  const auto pasted = RunProgram({"sh", "-c", line});
  EXPECT_EQ(pasted.exit_code, 1) << line << "\n" << pasted.out << pasted.err;
  EXPECT_NE(pasted.out.find("verdict:   torn-txn"), std::string::npos) << pasted.out;
}

TEST(Adversarial, ReproByIdOfACampaignWithSpacesInItsPaths_FindsItsEngine) {
  // The campaign's command line was stored unquoted, so its --engine came
  // back as "odd": "unknown engine 'odd'".
  TempDir dir;
  const std::string odd = dir / "odd dir's";
  std::filesystem::create_directories(odd);
  const std::string program =
      std::filesystem::path(kFakeEngine).parent_path() / "crashlab-fake-engine";
  std::ofstream(odd + "/variants.ini") << "[engine]\nname = odd\ncommand = " << program
                                       << "\n\n[variant torn]\nargs = --mode=torn\nkill = "
                                          "durable\npower-loss = durable\n";
  const std::string db = odd + "/my results.db";
  const auto run =
      RunCrashlab({"run", "--engine", odd + "/variants.ini", "--variant", "torn", "--seed", "3",
                   "--cases", "6", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto repro = RunCrashlab({"repro", "1", "--db", db});
  EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("verdict:   torn-txn"), std::string::npos) << repro.out;
}

TEST(Adversarial, EngineStderrShownByRepro_IsEscapedLikeEverywhereElse) {
  // repro printed the engine's stderr raw: its escape sequences cleared the
  // user's terminal.
  TempDir dir;
  const std::string db = dir / "escapes.db";
  const auto run = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "err-escapes",
                                "--seed", "3", "--cases", "3", "--db", db});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto repro = RunCrashlab({"repro", "1", "--db", db});
  EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("engine stderr (tail):\n"), std::string::npos) << repro.out;
  EXPECT_NE(repro.out.find("\\x1b[2J\\x1b[31mscreen cleared\\x1b[0m\\x0d\\x07 refused"),
            std::string::npos)
      << repro.out;
  EXPECT_EQ(repro.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(repro.out.find('\a'), std::string::npos);
}

// A variants file at `dir`/`name`/variants.ini: engine `name` with one
// variant of the fake engine, `variant` (a --mode).
std::string OneVariantEngine(const TempDir& dir, const std::string& name,
                             const std::string& variant) {
  const std::string program =
      std::filesystem::path(kFakeEngine).parent_path() / "crashlab-fake-engine";
  std::filesystem::create_directories(dir / name);
  const std::string path = dir / (name + "/variants.ini");
  std::ofstream(path) << "[engine]\nname = " << name << "\ncommand = " << program << "\n\n[variant "
                      << variant << "]\nargs = --mode=" << variant
                      << "\nkill = durable\npower-loss = durable\n";
  return path;
}

TEST(Adversarial, ReproAndShrinkByIdAfterAMatrixOfTwoEngines_RunTheFailuresOwnEngine) {
  // Both took the first --engine of the matrix's command line: "engine
  // first has no variant 'torn'".
  TempDir dir;
  const std::string db = dir / "matrix.db";
  const auto matrix = RunCrashlab({"matrix", "--engine", OneVariantEngine(dir, "first", "correct"),
                                   // Refuses every recovery of a non-empty log: a failure
                                   // under both crash kinds on any machine, where torn's
                                   // kill failures depend on timing.
                                   "--engine", OneVariantEngine(dir, "second", "err-escapes"),
                                   "--seed", "3", "--cases", "4", "--db", db});
  ASSERT_EQ(matrix.exit_code, 1) << matrix.out << matrix.err;
  for (const std::string crash : {"kill", "power-loss"}) {
    SCOPED_TRACE(crash);
    const std::vector<Row> failure = Query(
        db,
        "SELECT f.id, c.engine, c.variant FROM failures f JOIN cases c ON c.id = f.case_id WHERE "
        "c.crash_kind = '" +
            crash + "' ORDER BY f.id LIMIT 1");
    ASSERT_EQ(failure.size(), 1u);
    EXPECT_EQ(failure[0].at("engine"), "second");
    const std::string id = failure[0].at("id");
    const auto repro = RunCrashlab({"repro", id, "--db", db});
    EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
    EXPECT_NE(repro.out.find("case:      second/err-escapes seed 3"), std::string::npos)
        << repro.out;
    if (crash == "power-loss") {
      const auto shrink = RunCrashlab({"shrink", id, "--db", db});
      EXPECT_EQ(shrink.exit_code, 0) << shrink.out << shrink.err;
      EXPECT_EQ(shrink.err.find("has no variant"), std::string::npos) << shrink.err;
    }
  }
}

}  // namespace
}  // namespace crashlab::e2e
