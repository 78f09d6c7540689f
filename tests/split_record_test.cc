// A record written as two unsynced writes (tests/split_record_engine): its
// payload, then its header. A power loss may keep the header over a torn
// payload, which only exploration's tears of pending writes build (issue 17,
// item 3); without a checksum the engine replays the torn payload as data.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kSplitRecord = CRASHLAB_SPLIT_RECORD_ENGINE;

std::vector<std::string> Explore(const TempDir& dir, const std::string& variant,
                                 std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"explore", "--engine", kSplitRecord, "--variant",       variant,
                                   "--seed",  "1",        "--db",       dir / "explore.db"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(SplitRecord, ExploreFirstFindsATornPayloadBehindAWholeHeader) {
  TempDir dir;
  CommandResult r = RunCrashlab(Explore(dir, "no-checksum", {"--first"}));
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::vector<Row> f = Query(dir / "explore.db",
                                   "SELECT c.verdict, c.crash_plan FROM failures f JOIN cases c ON "
                                   "c.id = f.case_id ORDER BY f.id LIMIT 1");
  ASSERT_EQ(f.size(), 1u) << r.out;
  // The engine returns the torn value as data: corrupt, and the state is a
  // pending write (named by its event after '@') torn with the rest kept.
  EXPECT_EQ(f[0].at("verdict"), "corrupt") << r.out;
  EXPECT_NE(f[0].at("crash_plan").find("keep=0xffffffffffffffff tear="), std::string::npos)
      << f[0].at("crash_plan");
  EXPECT_NE(f[0].at("crash_plan").find('@'), std::string::npos) << f[0].at("crash_plan");
}

TEST(SplitRecord, TheChecksummedVariantHoldsInEveryExploredState) {
  TempDir dir;
  CommandResult r = RunCrashlab(Explore(dir, "correct", {"--txns", "30"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 violation(s)"), std::string::npos) << r.out;
  // Its states include torn pending writes: the checksum, not luck, held.
  EXPECT_GT(CountCasesWhere(dir / "explore.db", "crash_plan LIKE '% tear=%@%'"), 20);
}

// When exploration cannot find a failure's verdict, shrink says what it
// explored and why, for the failure's own profile: a seeded posix failure
// is no ext4-ordered one. Here the failure's engine was fixed since (its
// variant now checksums), which exploration cannot tell from a state
// beyond its bounds.
TEST(SplitRecord, ShrinkSaysWhatItExploredWhenTheVerdictIsNotFound) {
  TempDir dir;
  ASSERT_EQ(RunCrashlab(Explore(dir, "no-checksum", {"--first", "--txns", "20"})).exit_code, 1);
  const std::string db = dir / "explore.db";
  const std::string id = Query(db, "SELECT min(id) AS id FROM failures")[0].at("id");
  const std::string plan = "power-loss event=13/423 profile=posix unit=512 seed=5";
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  const std::string sql = "UPDATE cases SET crash_plan = '" + plan +
                          "' WHERE id = (SELECT case_id FROM failures WHERE id = " + id + ")";
  EXPECT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  const std::string fixed = dir / "fixed.ini";
  std::ofstream(fixed) << "[engine]\nname = split-record\ncommand = "
                       << kSplitRecord.substr(0, kSplitRecord.rfind('/'))
                       << "/crashlab-split-record-engine\n\n[variant no-checksum]\n"
                          "args = --mode=checksum\nkill = durable\npower-loss = durable\n";
  CommandResult r = RunCrashlab({"shrink", id, "--db", db, "--engine", fixed});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("finds no corrupt under power-loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("distinct crash states"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("torn at its first and last unit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("drawn by seed under posix (" + plan + ")"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ext4"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("timed kill"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crashlab::e2e
