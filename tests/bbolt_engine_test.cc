// engines/bbolt, the Go adapter over Debian's bbolt (issue 19): the protocol
// round trip by hand, and campaigns run the way a user runs them. Every test
// skips, naming scripts/setup, when the build found no Go or no bbolt sources.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

constexpr bool kBboltBuilt = CRASHLAB_BBOLT_BUILT;
constexpr char kNotBuilt[] =
    "crashlab-engine-bbolt is not built: it needs Go and Debian's bbolt sources; run "
    "scripts/setup, then configure again";

std::string BboltBinary() {
  return (fs::path(CRASHLAB_BIN).parent_path() / "engines/bbolt/crashlab-engine-bbolt").string();
}

// Feeds `input` to the bbolt engine (with `args`) and returns its stdout.
std::string ConverseWithBbolt(const std::string& input, const std::string& args = "") {
  TempDir dir;
  {
    std::FILE* f = std::fopen((dir / "in").c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  const std::string command =
      BboltBinary() + " " + args + " < " + (dir / "in") + " > " + (dir / "out");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return ReadFile(dir / "out");
}

struct BboltCampaign {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(const std::string& variant, const std::string& crash, int cases,
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",        "--engine", "bbolt",   "--variant",           variant, "--crash", crash,
        "--seed",     "5",        "--cases", std::to_string(cases), "--db",  db,        "--workdir",
        dir / "cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
};

TEST(BboltEngine, ProtocolRoundTrip_DumpReturnsWhatWasCommitted) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  TempDir db;
  const std::string data = db / "a b/data";  // a space: the directory is encoded too
  const std::string open = "open " + (db / "a%20b/data") + "\n";
  const std::string out = ConverseWithBbolt("hello\n" + open +
                                            "dump\n"
                                            "txn 3\nput k%00%20x \nput %25 v%0A\nput gone 1\n"
                                            "txn 1\ndel gone\n"
                                            "get k%00%20x\nget gone\ncheck\ncheckpoint\n"
                                            "txn 2\nput a 1\nfrob b\n"
                                            "dump\nclose\n" +
                                            open + "dump\n");
  EXPECT_EQ(out,
            "ok crashlab-engine 1 bbolt reopen\n"
            "ok\n"
            "end\n"
            "ok\nok\n"
            "val \nnone\nok\nunsupported\n"
            "err operation 2: expected 'put <key> <value>' or 'del <key>'\n"
            "kv %25 v%0A\nkv k%00%20x \nend\nok\n"
            "ok\nkv %25 v%0A\nkv k%00%20x \nend\n");
  EXPECT_TRUE(fs::exists(data + "/data.db")) << data;
}

TEST(BboltEngine, TransactionCutOffMidLineIsNeverCommitted) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  TempDir db;
  ConverseWithBbolt("open " + db.path() + "\ntxn 1\nput a 1\ntxn 2\nput b 2\nput c tru");
  EXPECT_EQ(ConverseWithBbolt("open " + db.path() + "\ndump\n"), "ok\nkv a 1\nend\n");
}

TEST(BboltEngine, RequestsWithoutAnOpenDatabaseAreRefused) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  EXPECT_EQ(ConverseWithBbolt("dump\ntxn 1\nput a 1\nget a\ncheck\nclose\n"),
            "err no database open; send open first\n"
            "err no database open; send open first\n"
            "err no database open; send open first\n"
            "err no database open; send open first\n"
            "ok\n");
}

TEST(BboltEngine, UnknownOption_ExitsWithStatus2NamingTheValidOne) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  CommandResult r = RunProgram({BboltBinary(), "--fsync=never"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("valid options: --nosync, --dirsync"), std::string::npos) << r.err;
}

TEST(BboltEngine, IsListedWithItsVariants) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  CommandResult r = RunCrashlab({"engines"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bbolt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nosync"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default-dirsync"), std::string::npos) << r.out;
}

TEST(BboltEngine, Default_PassesTwentyKillCases) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  c.Run("default", "kill", 20);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(CountCasesWhere(c.db, "verdict = 'pass'"), 20);
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + c.dir.path()), 0);
}

TEST(BboltEngine, NoSync_KeepsItsKillContract) {
  // NoSync drops only the fdatasync calls: the pages and the meta page are
  // written before the commit returns, and a kill keeps what the kernel has.
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  c.Run("nosync", "kill", 20);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(CountCasesWhere(c.db, "verdict = 'pass'"), 20);
}

TEST(BboltEngine, LiveKillsUnderPtrace_LeaveTheModelsKillStateAndPass) {
  // --live kills at a traced event and compares the directory the kill left
  // with the model's kill state (a difference is exit status 2); under kill
  // both variants keep every acknowledged commit.
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  for (const std::string variant : {"default", "nosync"}) {
    BboltCampaign c;
    c.Run(variant, "kill", 10, {"--live", "--recorder", "ptrace"});
    EXPECT_EQ(c.result.exit_code, 0) << variant << "\n" << c.result.out << c.result.err;
    EXPECT_EQ(CountCasesWhere(c.db, "verdict = 'pass'"), 10) << variant;
  }
}

// A crash inside the very first open, in DB.init (its 16 KiB write or the
// fdatasync after it), before anything was acknowledged, may leave a data.db
// that bolt.Open refuses or crashes on (docs/engines/bbolt.md, finding 2).
// The directory fsync cannot help there; every other case must pass.
constexpr char kOnlyCrashesInTheFirstOpen[] =
    "violation = 1 AND NOT (verdict = 'recovery-failed' AND txns_acked = 0)";

TEST(BboltEngine, Default_PosixPowerLoss_LosesTheDatabasesNameAndEveryCommit) {
  // bbolt never fsyncs the directory after bolt.Open creates data.db, so the
  // posix model may revert the creation; the next open makes a new, empty
  // database.
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  c.Run("default", "power-loss", 20, {"--profile", "posix"});
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_GT(CountCasesWhere(c.db, "verdict = 'lost-acked'"), 0) << c.result.out;
  // The whole database, not a suffix of commits: what came back is empty.
  const std::vector<Row> recovered =
      Query(c.db,
            "SELECT DISTINCT f.recovered FROM failures f JOIN cases c ON c.id = f.case_id "
            "WHERE c.verdict = 'lost-acked'");
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].at("recovered"), "(empty)\n");
  const std::vector<Row> failure =
      Query(c.db,
            "SELECT f.id FROM failures f JOIN cases c ON c.id = f.case_id "
            "WHERE c.verdict = 'lost-acked' ORDER BY f.id LIMIT 1");
  ASSERT_EQ(failure.size(), 1u);
  CommandResult explained = RunCrashlab({"explain", failure[0].at("id"), "--db", c.db});
  EXPECT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_NE(explained.out.find("open data.db: reverted"), std::string::npos) << explained.out;
}

TEST(BboltEngine, DefaultDirsync_PosixPowerLoss_KeepsEveryAcknowledgedCommit) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  c.Run("default-dirsync", "power-loss", 30, {"--profile", "posix"});
  EXPECT_EQ(CountCasesWhere(c.db, "1"), 30) << c.result.out << c.result.err;
  EXPECT_EQ(CountCasesWhere(c.db, "verdict = 'lost-acked'"), 0) << c.result.out;
  EXPECT_EQ(CountCasesWhere(c.db, kOnlyCrashesInTheFirstOpen), 0) << c.result.out;
  EXPECT_GE(CountCasesWhere(c.db, "verdict = 'pass' AND txns_acked > 0"), 15) << c.result.out;
}

TEST(BboltEngine, DefaultDirsync_Explore_EveryCrashStateAfterTheFirstOpenHolds) {
  // Every distinct crash state of one workload: with the directory synced,
  // none loses an acknowledged commit; only DB.init's own crash points fail.
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  TempDir dir;
  const std::string db = dir / "results.db";
  CommandResult r =
      RunCrashlab({"explore", "--engine", "bbolt", "--variant", "default-dirsync", "--seed", "5",
                   "--txns", "6", "--db", db, "--workdir", dir / "explore"});
  EXPECT_LE(r.exit_code, 1) << r.out << r.err;
  EXPECT_GT(CountCasesWhere(db, "txns_acked > 0"), 40) << r.out;
  EXPECT_EQ(CountCasesWhere(db, "verdict = 'lost-acked'"), 0) << r.out;
  EXPECT_EQ(CountCasesWhere(db, kOnlyCrashesInTheFirstOpen), 0) << r.out;
}

TEST(BboltEngine, Default_HoldsUnderExt4OrderedPowerLoss) {
  // ext4 data=ordered journals data.db's creation in the transaction that
  // DB.init's fdatasync of the grown file commits (docs/persistence-model.md).
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  c.Run("default", "power-loss", 30, {"--profile", "ext4-ordered"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(CountCasesWhere(c.db, "verdict = 'pass'"), 30) << c.result.out;
}

TEST(BboltEngine, NoSync_LosesAcknowledgedDataUnderPowerLoss) {
  if (!kBboltBuilt) GTEST_SKIP() << kNotBuilt;
  BboltCampaign c;
  // A short deadline: a hang here costs the whole deadline.
  c.Run("nosync", "power-loss", 40, {"--recorder", "ptrace", "--deadline-ms", "4000"});
  // Its contract is none: outcomes are recorded, not failed, except a hang.
  // bbolt follows page ids out of a damaged, unchecksummed page without a
  // bounds check (DB.page), and whether the address it lands on is mapped
  // depends on the address-space layout: the same crash state makes the
  // engine die of SIGSEGV (recovery-failed) or loop in Cursor.first (hang).
  // docs/engines/bbolt.md, finding 3.
  EXPECT_LE(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_EQ(CountCasesWhere(c.db, "1"), 40);
  EXPECT_EQ(CountCasesWhere(c.db, "violation = 1 AND verdict != 'hang'"), 0) << c.result.out;
  EXPECT_GT(CountCasesWhere(c.db, "verdict IN ('lost-acked', 'corrupt', 'recovery-failed')"), 0)
      << c.result.out;
}

}  // namespace
}  // namespace crashlab::e2e
