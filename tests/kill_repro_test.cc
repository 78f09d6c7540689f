// A failure found by a real kill (no trace) keeps the files the kill left,
// and `crashlab repro FAILURE-ID` recovers those very bytes again, from a
// copy of the database in another directory, instead of rerunning the
// workload whose thread timing would move the kill.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

// ack-before-journal acknowledges a commit before journaling it, so a kill
// right after the acknowledgement loses it: seed 3 gives lost-acked in most
// of its 10 cases.
TEST(KillRepro, KillFailureReplaysByteForByteFromACopiedDatabase) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"run", "--engine", "pagejournal", "--variant", "ack-before-journal", "--crash",
                   "kill", "--seed", "3", "--cases", "10", "--db", db, "--workdir", dir / "work"});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::vector<Row> failures =
      Query(db,
            "SELECT f.id, c.verdict, c.crash_state, f.crash_files IS NOT NULL AS kept "
            "FROM failures f JOIN cases c ON c.id = f.case_id ORDER BY f.id");
  ASSERT_GE(failures.size(), 1u) << found.out;
  for (const Row& f : failures) {
    EXPECT_EQ(f.at("kept"), "1") << "failure " << f.at("id");
    EXPECT_TRUE(std::regex_match(f.at("crash_state"), std::regex("fd1:[0-9a-f]{16}")))
        << f.at("crash_state");
  }

  fs::create_directories(dir / "elsewhere");
  const std::string copy = dir / "elsewhere/copy.db";
  fs::copy_file(db, copy);
  // Two failures are enough to show it is not a coincidence of one.
  for (std::size_t i = 0; i < std::min<std::size_t>(2, failures.size()); ++i) {
    const Row& f = failures[i];
    CommandResult repro = RunCrashlab({"repro", f.at("id"), "--db", copy});
    EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
    EXPECT_NE(repro.out.find("replaying the crash state stored in " + copy), std::string::npos)
        << repro.out;
    EXPECT_NE(repro.out.find("verdict:   " + f.at("verdict") + " "), std::string::npos)
        << repro.out;
    EXPECT_NE(repro.out.find("crash state: rebuilt byte for byte (digest " + f.at("crash_state") +
                             ", as recorded)"),
              std::string::npos)
        << repro.out;
  }

  // --keep writes that very state, as the kill left it.
  const Row& first = failures[0];
  CommandResult kept =
      RunCrashlab({"repro", first.at("id"), "--db", copy, "--keep", dir / "state"});
  EXPECT_EQ(kept.exit_code, 1) << kept.out << kept.err;
  EXPECT_NE(kept.out.find("crash state kept in " + dir / "state" + " (digest " +
                          first.at("crash_state") + ")"),
            std::string::npos)
      << kept.out;
  EXPECT_TRUE(fs::exists(dir / "state/header.a"));

  // --rerun runs the workload again, crash files or not.
  CommandResult rerun = RunCrashlab({"repro", first.at("id"), "--db", copy, "--rerun"});
  EXPECT_EQ(rerun.out.find("replaying the crash state"), std::string::npos) << rerun.out;
  EXPECT_NE(rerun.out.find("verdict:   "), std::string::npos) << rerun.out << rerun.err;
}

// A case that holds its contract is no failure: it records its crash state's
// digest, and no files.
TEST(KillRepro, CorrectVariantRecordsADigestAndNoCrashFiles) {
  TempDir dir;
  const std::string db = dir / "held.db";
  CommandResult run =
      RunCrashlab({"run", "--engine", "pagejournal", "--variant", "correct", "--crash", "kill",
                   "--seed", "1", "--cases", "5", "--db", db, "--workdir", dir / "work"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::vector<Row> cases = Query(db, "SELECT case_index, crash_state FROM cases");
  ASSERT_EQ(cases.size(), 5u);
  for (const Row& c : cases) {
    EXPECT_TRUE(std::regex_match(c.at("crash_state"), std::regex("fd1:[0-9a-f]{16}")))
        << "case " << c.at("case_index") << ": " << c.at("crash_state");
  }
  EXPECT_EQ(
      Query(db, "SELECT count(*) AS n FROM failures WHERE crash_files IS NOT NULL")[0].at("n"),
      "0");
}

}  // namespace
}  // namespace crashlab::e2e
