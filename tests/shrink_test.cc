// `crashlab shrink FAILURE-ID`: every pagejournal bug variant's failure
// shrinks to at most three transactions, is stored linked to the original,
// and replays from the store byte for byte, also from a second copy of
// crashlab in another directory with only the database copied there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

// The number after "-> " in "... 40 -> 2 transactions".
int ShrunkTransactions(const std::string& out) {
  std::smatch m;
  static const std::regex kLine("-> (\\d+) transactions");
  if (!std::regex_search(out, m, kLine)) return -1;
  return std::stoi(m[1]);
}

// The shrunk failure's id from "repro:     crashlab repro ID --db ...".
std::string ShrunkId(const std::string& out) {
  std::smatch m;
  static const std::regex kLine("repro: +crashlab repro (\\d+) --db");
  return std::regex_search(out, m, kLine) ? m[1].str() : "";
}

// Shrinks failure `id` of `db` and checks the shrunk case: at most three
// transactions, the same verdict, linked to the original, its workload
// stored, and a repro by id that rebuilds its state byte for byte.
void ExpectShrinks(const std::string& db, const std::string& id, const std::string& label) {
  // The budget is generous: this checks the size reached, not the time
  // (scripts/bench measures that on a quiet machine).
  CommandResult shrunk = RunCrashlab({"shrink", id, "--db", db, "--budget", "600"});
  ASSERT_EQ(shrunk.exit_code, 0) << label << "\n" << shrunk.out << shrunk.err;
  const int txns = ShrunkTransactions(shrunk.out);
  EXPECT_GE(txns, 1) << label << "\n" << shrunk.out;
  EXPECT_LE(txns, 3) << label << "\n" << shrunk.out;
  const std::string new_id = ShrunkId(shrunk.out);
  ASSERT_FALSE(new_id.empty()) << label << "\n" << shrunk.out;
  const std::vector<Row> rows = Query(
      db,
      "SELECT f.shrunk_from, o.verdict AS original, c.verdict, c.crash_state, c.txns_sent, "
      "k.workload FROM failures f JOIN cases c ON c.id = f.case_id JOIN campaigns k ON k.id = "
      "c.campaign_id JOIN failures g ON g.id = f.shrunk_from JOIN cases o ON o.id = g.case_id "
      "WHERE f.id = " +
          new_id);
  ASSERT_EQ(rows.size(), 1u) << label;
  EXPECT_EQ(rows[0].at("shrunk_from"), id) << label;
  EXPECT_EQ(rows[0].at("verdict"), rows[0].at("original")) << label;
  EXPECT_NE(rows[0].at("workload").find("txn "), std::string::npos) << label;
  CommandResult repro = RunCrashlab({"repro", new_id, "--db", db});
  EXPECT_EQ(repro.exit_code, 1) << label << "\n" << repro.out << repro.err;
  EXPECT_NE(repro.out.find("verdict:   " + rows[0].at("verdict") + " "), std::string::npos)
      << label << "\n"
      << repro.out;
  EXPECT_NE(repro.out.find("rebuilt byte for byte (digest " + rows[0].at("crash_state")),
            std::string::npos)
      << label << "\n"
      << repro.out;
}

class ShrinkBugVariant : public testing::TestWithParam<std::string> {};

// A failure exploration found in a 40-transaction workload.
TEST_P(ShrinkBugVariant, AnExploredFailureShrinksToAtMostThreeTransactions) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found = RunCrashlab({"explore", "--engine", "pagejournal", "--variant", GetParam(),
                                     "--seed", "1", "--txns", "40", "--first", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::string id = Query(db, "SELECT min(id) AS id FROM failures")[0].at("id");
  ExpectShrinks(db, id, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Pagejournal, ShrinkBugVariant,
                         testing::Values("journal-no-sync", "checkpoint-before-data-sync",
                                         "recycled-journal-stale", "no-checksum", "single-header",
                                         "new-journal-no-dirsync", "recover-from-scratch",
                                         "ack-before-journal"),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// A failure of a seeded power-loss campaign (`run`), not an exploration:
// its workload comes from the seed and case, cut at the crash point.
TEST(Shrink, AFailureOfASeededCampaignShrinksToo) {
  TempDir dir;
  const std::string db = dir / "run.db";
  CommandResult found =
      RunCrashlab({"run", "--engine", "pagejournal", "--variant", "journal-no-sync", "--seed", "9",
                   "--cases", "12", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::string id = Query(db,
                               "SELECT min(f.id) AS id FROM failures f JOIN cases c ON c.id = "
                               "f.case_id WHERE c.verdict = 'lost-acked'")[0]
                             .at("id");
  ASSERT_FALSE(id.empty()) << found.out;
  // `crashlab failures` lists it with the id shrink takes.
  CommandResult listed = RunCrashlab({"failures", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("pagejournal/journal-no-sync"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\n" + std::string(6 - id.size(), ' ') + id + " "), std::string::npos)
      << listed.out;
  ExpectShrinks(db, id, "run campaign");
}

// The fake engine's `two-causes` variant refuses every recovery: a torn
// MANIFEST with 3 keys or more, a held lock with fewer. Both are
// recovery-failed; shrinking the MANIFEST failure must keep its cause (3
// transactions of one put each), not fall to 1 transaction and the lock.
TEST(Shrink, KeepsTheFailuresCauseNotOnlyItsVerdict) {
  TempDir dir;
  const std::string db = dir / "found.db";
  const std::string workload = dir / "six.txt";
  {
    std::ofstream out(workload);
    for (int t = 0; t < 6; ++t) out << "txn 1\nput key" << t << " value" << t << "\n";
  }
  CommandResult found =
      RunCrashlab({"explore", "--engine", kFakeEngine, "--variant", "two-causes", "--workload-file",
                   workload, "--seed", "1", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::vector<Row> manifest = Query(
      db,
      "SELECT f.id, c.details FROM failures f JOIN cases c ON c.id = f.case_id WHERE c.details "
      "LIKE '%Corruption: MANIFEST-%' ORDER BY c.txns_acked DESC LIMIT 1");
  ASSERT_EQ(manifest.size(), 1u) << found.out;
  const std::string id = manifest[0].at("id");

  // `failures` prints the signature: masked numbers, acknowledged loss.
  CommandResult listed = RunCrashlab({"failures", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string signature =
      "recovery-failed, acknowledged data lost: open (recovery): Corruption: MANIFEST-N is "
      "torn at offset N";
  EXPECT_NE(listed.out.find(signature), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("open (recovery): IO error: lock <path>: held by process N"),
            std::string::npos)
      << listed.out;

  CommandResult shrunk = RunCrashlab({"shrink", id, "--db", db, "--budget", "600"});
  ASSERT_EQ(shrunk.exit_code, 0) << shrunk.out << shrunk.err;
  EXPECT_EQ(ShrunkTransactions(shrunk.out), 3) << shrunk.out;
  const std::string new_id = ShrunkId(shrunk.out);
  ASSERT_FALSE(new_id.empty()) << shrunk.out;
  const std::vector<Row> rows =
      Query(db,
            "SELECT c.verdict, c.details FROM failures f JOIN cases c ON c.id = f.case_id WHERE "
            "f.id = " +
                new_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("verdict"), "recovery-failed");
  EXPECT_NE(rows[0].at("details").find("Corruption: MANIFEST-"), std::string::npos)
      << rows[0].at("details");
  EXPECT_NE(shrunk.out.find("signature: " + signature), std::string::npos) << shrunk.out;

  // `explain` prints it too.
  CommandResult told = RunCrashlab({"explain", new_id, "--db", db});
  EXPECT_EQ(told.exit_code, 0) << told.err;
  EXPECT_NE(told.out.find("signature: " + signature), std::string::npos) << told.out;
}

// A record written as two unsynced writes, replayed without a checksum
// (tests/split_record_engine): found by exploration only as a torn pending
// write, and shrunk through the same tears.
TEST(Shrink, ATornPendingWriteShrinksToAtMostThreeTransactions) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"explore", "--engine", CRASHLAB_SPLIT_RECORD_ENGINE, "--variant", "no-checksum",
                   "--seed", "1", "--first", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::string id = Query(db, "SELECT min(id) AS id FROM failures")[0].at("id");
  ExpectShrinks(db, id, "split-record/no-checksum");
}

TEST(Shrink, AFailureThatIsNotThereIsAClearError) {
  TempDir dir;
  CommandResult made = RunCrashlab({"run", "--engine", "pagejournal", "--variant", "correct",
                                    "--seed", "1", "--cases", "1", "--db", dir / "a.db"});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  CommandResult r = RunCrashlab({"shrink", "3", "--db", dir / "a.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("holds no failure 3"), std::string::npos) << r.err;
}

// Checkout B: crashlab, the pagejournal engine and the tracer copied into
// a directory of their own (the layout a build leaves), and only the
// results database copied next to them. A failure found and shrunk by
// checkout A replays there with the same verdict and the same crash state.
TEST(Shrink, AFailureReplaysOnAnotherCopyOfCrashlabWithOnlyTheDatabaseCopied) {
  TempDir dir;
  const std::string db = dir / "a/found.db";
  fs::create_directories(dir / "a");
  CommandResult found =
      RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "single-header", "--seed",
                   "2", "--txns", "30", "--first", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const Row f = Query(db,
                      "SELECT min(f.id) AS id, c.verdict, c.crash_state FROM failures f JOIN "
                      "cases c ON c.id = f.case_id")[0];

  const fs::path build = fs::path(CRASHLAB_BIN).parent_path();
  const fs::path b = dir / "b";
  fs::create_directories(b / "engines/pagejournal");
  fs::create_directories(b / "faults");
  fs::copy_file(CRASHLAB_BIN, b / "crashlab");
  fs::copy_file(build / "engines/pagejournal/variants.ini", b / "engines/pagejournal/variants.ini");
  fs::copy_file(build / "engines/pagejournal/crashlab-engine-pagejournal",
                b / "engines/pagejournal/crashlab-engine-pagejournal");
  fs::copy_file(CRASHLAB_PRELOAD, b / "faults/libcrashlab_preload.so");
  fs::copy_file(db, b / "copy.db");
  CommandResult repro = RunProgram({(b / "crashlab").string(), "repro", f.at("id"), "--db",
                                    (b / "copy.db").string(), "--keep", (b / "state").string()});
  EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("verdict:   " + f.at("verdict") + " "), std::string::npos) << repro.out;
  EXPECT_NE(repro.out.find("rebuilt byte for byte (digest " + f.at("crash_state")),
            std::string::npos)
      << repro.out;
  // It ran checkout B's engine, not A's.
  EXPECT_NE(repro.out.find((b / "engines/pagejournal/crashlab-engine-pagejournal").string()),
            std::string::npos)
      << repro.out;
  EXPECT_EQ(repro.out.find(build.string() + "/engines"), std::string::npos) << repro.out;
}

}  // namespace
}  // namespace crashlab::e2e
