#include "reports/report_data.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

namespace crashlab::report {
namespace {

TEST(ReportData, FaultKindNamesThePlansKind) {
  EXPECT_EQ(FaultKind(CrashKind::kKill, "kill txn=4 delay_us=120"), "timed kill");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "kill point=journal.write:after hit=3"),
            "kill at journal.write:after");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "live kill-at=57 kill event=57"), "live kill");
  EXPECT_EQ(FaultKind(CrashKind::kPowerLoss, "power-loss event=5/9 profile=posix unit=512 seed=1"),
            "power loss");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "explore workload=0 txns=10 kill event=4"),
            "explored kill");
  EXPECT_EQ(FaultKind(CrashKind::kPowerLoss, "explore workload=stored txns=1 power-loss event=4/9"),
            "explored power loss");
}

TEST(ReportData, PercentileIsTheNearestRank) {
  EXPECT_EQ(Percentile({}, 0.5), -1);
  EXPECT_EQ(Percentile({7}, 0.99), 7);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 0.5), 50);
  EXPECT_EQ(Percentile(hundred, 0.99), 99);
  EXPECT_EQ(Percentile(hundred, 1.0), 100);
}

// The report reads the vocabulary columns as words it knows: a case whose
// verdict is another word (written past the schema's CHECK, as a hand edit
// would) stops the report with an error naming the cases and the word,
// rather than a bar of an unknown colour.
TEST(ReportData, AnUnknownVerdictInTheDatabaseIsAnError) {
  std::string dir = testing::TempDir() + "/report_data_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string db = dir + "/results.db";
  {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status().message();
    CampaignInfo info;
    info.command_line = "crashlab run";
    info.engine = "toykv";
    info.variants = "fsync";
    info.crash_kind = "kill";
    Result<int64_t> campaign = (*store)->BeginCampaign(info);
    ASSERT_TRUE(campaign.ok()) << campaign.status().message();
    CaseRecord c;
    c.campaign_id = *campaign;
    c.engine = "toykv";
    c.variant = "fsync";
    c.crash_plan = "kill txn=1 delay_us=5";
    ASSERT_TRUE((*store)->RecordCase(c).ok());
  }
  ASSERT_TRUE(LoadReportData(db, {}).ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(raw, "PRAGMA ignore_check_constraints = ON; UPDATE cases SET verdict = 'odd'",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(raw);
  Result<ReportData> d = LoadReportData(db, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("the cases of toykv/fsync"), std::string::npos)
      << d.status().message();
  EXPECT_NE(d.status().message().find("verdict \"odd\""), std::string::npos)
      << d.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crashlab::report
