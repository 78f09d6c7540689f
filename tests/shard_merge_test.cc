// Sharding and merging end to end: the shards of a campaign (--shard i/n),
// merged with `crashlab merge`, hold the same cases as the campaign run whole.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <tuple>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

using CaseKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

// Kill plans and power-loss crash points follow from the seed and the case
// index alone, so the whole campaign and its shards run the very same cases.
CommandResult RunCampaign(const TempDir& dir, const std::string& db, const std::string& shard) {
  std::vector<std::string> args = {
      "run",       "--engine",     "sqlite",          "--variant", "wal-full",
      "--variant", "delete-extra", "--seed",          "4",         "--cases",
      "7",         "--crash",      "kill,power-loss", "--db",      db};
  if (!shard.empty()) args.insert(args.end(), {"--shard", shard});
  return RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
}

std::set<CaseKey> Cases(const std::string& db) {
  std::set<CaseKey> keys;
  for (const Row& r : Query(db,
                            "SELECT variant, case_index, crash_kind, verdict, txns_sent "
                            "FROM cases")) {
    keys.insert({r.at("variant"), r.at("case_index"), r.at("crash_kind"), r.at("verdict"),
                 r.at("txns_sent")});
  }
  return keys;
}

TEST(ShardMerge, ShardsMergedHoldTheCasesOfTheWholeCampaign) {
  TempDir dir;
  ASSERT_EQ(RunCampaign(dir, dir / "whole.db", "").exit_code, 0);
  for (const std::string shard : {"0/3", "1/3", "2/3"}) {
    CommandResult r = RunCampaign(dir, dir / ("shard" + shard.substr(0, 1) + ".db"), shard);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  EXPECT_EQ(Query(dir / "shard1.db", "SELECT shard FROM campaigns")[0].at("shard"), "1/3");
  EXPECT_EQ(Query(dir / "shard1.db", "SELECT count(*) AS n FROM cases")[0].at("n"), "4");
  CommandResult merge = RunCrashlab(
      {"merge", dir / "shard0.db", dir / "shard1.db", dir / "shard2.db", "-o", dir / "all.db"});
  ASSERT_EQ(merge.exit_code, 0) << merge.out << merge.err;
  EXPECT_EQ(Cases(dir / "all.db"), Cases(dir / "whole.db"));
  EXPECT_EQ(Cases(dir / "all.db").size(), 14u);
  EXPECT_EQ(Query(dir / "all.db", "SELECT count(*) AS n FROM campaigns")[0].at("n"), "3");

  // Merging a shard again adds nothing; its input is left as it was.
  const std::string before = ReadFile(dir / "shard0.db");
  merge = RunCrashlab({"merge", dir / "shard0.db", "-o", dir / "all.db"});
  ASSERT_EQ(merge.exit_code, 0) << merge.out << merge.err;
  EXPECT_NE(merge.out.find("1 campaign(s) already in"), std::string::npos) << merge.out;
  EXPECT_EQ(Cases(dir / "all.db").size(), 14u);
  EXPECT_EQ(ReadFile(dir / "shard0.db"), before);
}

TEST(ShardMerge, BadShardAndBadInput_AreClearErrors) {
  TempDir dir;
  CommandResult r = RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--shard", "3/3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("0 <= i < n"), std::string::npos) << r.err;
  std::ofstream(dir / "notes.db") << "not a database";
  r = RunCrashlab({"merge", dir / "notes.db", "-o", dir / "all.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("notes.db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crashlab::e2e
