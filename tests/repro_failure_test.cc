// `crashlab repro FAILURE-ID`: a failure replays from the results store alone,
// byte for byte, from another directory with only the database copied there.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

// One failure of each pagejournal bug variant (exploration finds each in
// about a second), replayed by id from a copy of the database elsewhere.
TEST(ReproFailure, EveryBugVariantsFailureReplaysByteForByteFromACopiedDatabase) {
  TempDir dir;
  const std::string db = dir / "found.db";
  for (const std::string variant :
       {"journal-no-sync", "checkpoint-before-data-sync", "recycled-journal-stale", "no-checksum",
        "single-header", "new-journal-no-dirsync", "recover-from-scratch", "ack-before-journal"}) {
    CommandResult found =
        RunCrashlab({"explore", "--engine", "pagejournal", "--variant", variant, "--seed", "1",
                     "--txns", "40", "--first", "--db", db, "--workdir", dir / "work"});
    ASSERT_EQ(found.exit_code, 1) << variant << "\n" << found.out << found.err;
  }
  fs::create_directories(dir / "elsewhere");
  fs::copy_file(db, dir / "elsewhere/copy.db");
  const std::vector<Row> failures =
      Query(db,
            "SELECT min(f.id) AS id, c.variant, c.verdict, c.crash_state FROM failures f "
            "JOIN cases c ON c.id = f.case_id GROUP BY c.variant");
  ASSERT_EQ(failures.size(), 8u);
  for (const Row& f : failures) {
    CommandResult repro = RunCrashlab({"repro", f.at("id"), "--db", dir / "elsewhere/copy.db"});
    EXPECT_EQ(repro.exit_code, 1) << f.at("variant") << "\n" << repro.out << repro.err;
    EXPECT_NE(repro.out.find("verdict:   " + f.at("verdict") + " "), std::string::npos)
        << f.at("variant") << "\n"
        << repro.out;
    EXPECT_NE(repro.out.find("rebuilt byte for byte (digest " + f.at("crash_state")),
              std::string::npos)
        << f.at("variant") << "\n"
        << repro.out;
  }
}

// `crashlab explain` tells a stored power-loss failure: the crash point among
// its events, what happened to the pending writes, the wrong keys.
TEST(ReproFailure, ExplainTellsTheCrashPointThePendingWritesAndTheWrongKeys) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "journal-no-sync", "--seed",
                   "1", "--txns", "20", "--first", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const Row f = Query(db,
                      "SELECT min(f.id) AS id, c.crash_plan, c.verdict FROM failures f "
                      "JOIN cases c ON c.id = f.case_id")[0];
  CommandResult r = RunCrashlab({"explain", f.at("id"), "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string event = f.at("crash_plan").substr(f.at("crash_plan").find("event=") + 6);
  const std::string c = event.substr(0, event.find('/'));
  EXPECT_NE(r.out.find("events around the crash point " + c), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n> " + std::string(6 - std::min<std::size_t>(6, c.size()), ' ') + c),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("what the power loss did to the changes not yet durable"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(": vanished"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expected versus recovered:\nkey "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("crashlab repro " + f.at("id") + " --db"), std::string::npos) << r.out;

  // --keep leaves that very crash state, and how to start the engine on it.
  CommandResult kept = RunCrashlab({"repro", f.at("id"), "--db", db, "--keep", dir / "state"});
  EXPECT_EQ(kept.exit_code, 1) << kept.out << kept.err;
  const std::string digest = Query(db,
                                   "SELECT c.crash_state FROM failures f JOIN cases c ON "
                                   "c.id = f.case_id WHERE f.id = " +
                                       f.at("id"))[0]
                                 .at("crash_state");
  EXPECT_NE(kept.out.find("crash state kept in " + dir / "state" + " (digest " + digest),
            std::string::npos)
      << kept.out;
  EXPECT_TRUE(fs::exists(dir / "state/data"));
  EXPECT_NE(kept.out.find("gdb --args "), std::string::npos) << kept.out;
}

TEST(ReproFailure, UnknownFailureIdNamesTheCommandThatListsThem) {
  TempDir dir;
  CommandResult made = RunCrashlab({"run", "--engine", "pagejournal", "--variant", "correct",
                                    "--seed", "1", "--cases", "1", "--db", dir / "a.db"});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  CommandResult r = RunCrashlab({"repro", "7", "--db", dir / "a.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("holds no failure 7"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("crashlab failures --db"), std::string::npos) << r.err;
  CommandResult none = RunCrashlab({"repro", "--db", dir / "a.db"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("needs a failure id"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace crashlab::e2e
