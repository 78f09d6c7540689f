// The results store's campaigns, soaks and merges: statuses, seeds, crash
// kind lists, soak bookkeeping for resume, and merging files under new ids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>

#include "framework/store/results_store_test_support.h"

namespace crashlab {
namespace {

using store_test::RawDb;
using store_test::ReadAll;
using store_test::ResultsStoreTest;

TEST_F(ResultsStoreTest, FinishCampaignRecordsStatusAndTime) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  EXPECT_FALSE(store->FinishCampaign(campaign, "done").ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT finished_at IS NULL FROM campaigns"), "1");
  ASSERT_TRUE(store->FinishCampaign(campaign, "interrupted").ok());
  EXPECT_EQ(raw.Query("SELECT status FROM campaigns"), "interrupted");
  EXPECT_EQ(raw.Query("SELECT finished_at >= started_at FROM campaigns"), "1");
  ASSERT_TRUE(store->FinishCampaign(campaign, "error").ok());
  EXPECT_EQ(raw.Query("SELECT status FROM campaigns"), "error");
}

TEST_F(ResultsStoreTest, SeedsBelow2To63RoundTrip) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const uint64_t max_seed = std::numeric_limits<int64_t>::max();
  EXPECT_FALSE(store->BeginCampaign(Campaign(max_seed + 1)).ok());
  int64_t campaign = store->BeginCampaign(Campaign(max_seed)).value();
  CaseRecord c = Case(campaign, "fsync", 0);
  c.seed = max_seed;
  ASSERT_TRUE(store->RecordCase(c).ok());
  Result<std::optional<CaseRecord>> found =
      store->FindCase("toykv", "fsync", max_seed, 0, CrashKind::kKill);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->seed, max_seed);
  EXPECT_EQ(RawDb(path_).Query("SELECT seed FROM campaigns"), std::to_string(max_seed));
}

TEST_F(ResultsStoreTest, ASoakIsFoundForResumeUntilFinished) {
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<StoredSoak>> none = store->LatestUnfinishedSoak();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  Result<int64_t> soak = store->BeginSoak({"crashlab soak --duration 1h", "seed 42\n", 42, 3600});
  ASSERT_TRUE(soak.ok()) << soak.status().message();
  Result<int64_t> short_campaign = store->BeginCampaign(Campaign());
  Result<int64_t> long_campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(short_campaign.ok() && long_campaign.ok());
  ASSERT_TRUE(store->AddCampaignToSoak(*soak, *short_campaign, "short", 0).ok());
  ASSERT_TRUE(store->AddCampaignToSoak(*soak, *long_campaign, "long", 100).ok());
  EXPECT_FALSE(store->AddCampaignToSoak(*soak, 999, "short", 0).ok());
  ASSERT_TRUE(store->RecordCase(Case(*short_campaign, "fsync", 0)).ok());
  ASSERT_TRUE(store->RecordCase(Case(*short_campaign, "fsync", 1, Verdict::kLostAcked)).ok());
  ASSERT_TRUE(store->RecordCase(Case(*long_campaign, "nosync", 0)).ok());
  ASSERT_TRUE(store->SetSoakElapsed(*soak, 1234).ok());

  Result<std::optional<StoredSoak>> found = store->LatestUnfinishedSoak();
  ASSERT_TRUE(found.ok() && found->has_value());
  const StoredSoak& s = **found;
  EXPECT_EQ(s.id, *soak);
  EXPECT_EQ(s.status, "running");
  EXPECT_EQ(s.settings, "seed 42\n");
  EXPECT_EQ(s.pid, getpid());
  EXPECT_EQ(s.elapsed_ms, 1234);
  EXPECT_EQ(s.duration_s, 3600);
  ASSERT_EQ(s.campaigns.size(), 2u);
  EXPECT_EQ(s.campaigns[1].shape, "long");
  EXPECT_EQ(s.campaigns[1].txns, 100);
  EXPECT_EQ(s.campaigns[1].engine, "toykv");

  Result<std::vector<CaseGroup>> groups = store->CaseGroupsOfSoak(*soak);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 3u);  // fsync pass, fsync lost-acked, nosync pass
  EXPECT_EQ((*groups)[1].verdict, Verdict::kPass);
  EXPECT_EQ((*groups)[1].max_case_index, 0);
  EXPECT_EQ((*groups)[0].violations, 1);

  // Interrupted, it is still the one to resume; reopened, it runs again.
  ASSERT_TRUE(store->FinishCampaign(*short_campaign, "interrupted").ok());
  ASSERT_TRUE(store->FinishSoak(*soak, "interrupted").ok());
  ASSERT_TRUE(store->ReopenSoak(*soak).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT status || ' ' || resumes || ' ' || (finished_at IS NULL) FROM soaks"),
            "running 1 1");
  EXPECT_EQ(raw.Query("SELECT status FROM campaigns WHERE id = " + std::to_string(*short_campaign)),
            "running");
  ASSERT_TRUE(store->FinishSoak(*soak, "finished").ok());
  found = store->LatestUnfinishedSoak();
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  EXPECT_FALSE(store->ReopenSoak(999).ok());
}

// A soak campaign's failure says its shape's transaction count, which the
// soak's command line does not: repro and shrink rebuild its workload with it.
TEST_F(ResultsStoreTest, ASoakFailureKnowsItsShapesTransactions) {
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t soak = store->BeginSoak({"crashlab soak --duration 1h", "", 1, 3600}).value();
  const int64_t in_soak = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->AddCampaignToSoak(soak, in_soak, "long", 100).ok());
  const int64_t alone = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(in_soak, "fsync", 0, Verdict::kLostAcked)).ok());
  ASSERT_TRUE(store->RecordCase(Case(alone, "fsync", 0, Verdict::kLostAcked)).ok());
  Result<std::vector<CaseRecord>> failures = store->Failures(0);
  ASSERT_TRUE(failures.ok());
  ASSERT_EQ(failures->size(), 2u);
  Result<std::optional<StoredFailure>> a = store->FindFailure((*failures)[0].failure->id);
  Result<std::optional<StoredFailure>> b = store->FindFailure((*failures)[1].failure->id);
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ((*a)->soak_txns, 100);
  EXPECT_EQ((*b)->soak_txns, -1);
}

TEST_F(ResultsStoreTest, MergeCarriesSoaksUnderNewIdsOnce) {
  const std::string other = dir_ + "/other.db";
  for (const std::string& path : {path_, other}) {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
    ASSERT_TRUE(store.ok());
    Result<int64_t> soak = (*store)->BeginSoak({"crashlab soak " + path, "", 1, 60});
    Result<int64_t> campaign = (*store)->BeginCampaign(Campaign());
    ASSERT_TRUE(soak.ok() && campaign.ok());
    ASSERT_TRUE((*store)->AddCampaignToSoak(*soak, *campaign, "short", 0).ok());
    ASSERT_TRUE((*store)->RecordCase(Case(*campaign, "fsync", 0)).ok());
  }
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<ResultsStore::MergeStats> stats = store->MergeFrom(other);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->soaks, 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT group_concat(soak_id || ':' || campaign_id) FROM soak_campaigns"),
            "1:1,2:2");
  EXPECT_EQ(raw.Query("SELECT command_line FROM soaks WHERE id = 2"), "crashlab soak " + other);
  stats = store->MergeFrom(other);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->soaks, 0);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM soak_campaigns"), "2");
  EXPECT_EQ(raw.Query("PRAGMA foreign_key_check"), "<none>");
}

// Merged failures keep their traces and their shrink links: to the copy of
// the original, or, when the original's campaign was merged before, to the
// failure already there.
TEST_F(ResultsStoreTest, MergeCarriesTracesAndShrinkLinks) {
  const std::string other = dir_ + "/other.db";
  auto src = ResultsStore::Open(other);
  ASSERT_TRUE(src.ok());
  auto campaign = [&](const std::string& name) {
    CampaignInfo info = Campaign();
    info.command_line = name;
    return (*src)->BeginCampaign(info).value();
  };
  const int64_t found = campaign("crashlab explore");
  CaseRecord original = Case(found, "fsync", 0, Verdict::kLostAcked);
  original.failure->trace = std::string("CLTRACE\0", 8) + "events";
  ASSERT_TRUE((*src)->RecordCase(original).ok());
  const int64_t original_id = (*src)->CasesOfCampaign(found).value()[0].failure->id;
  auto shrink = [&](const std::string& name) {
    CaseRecord shrunk = Case(campaign(name), "fsync", 0, Verdict::kLostAcked);
    shrunk.failure->shrunk_from = original_id;
    ASSERT_TRUE((*src)->RecordCase(shrunk).ok());
  };
  shrink("crashlab shrink 1");

  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t mine = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(
      store->RecordCase(Case(mine, "fsync", 0, Verdict::kHole)).ok());  // failure 1 is taken
  Result<ResultsStore::MergeStats> merged = store->MergeFrom(other);
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  RawDb raw(path_);
  const std::string copy = raw.Query(
      "SELECT f.id FROM failures f JOIN cases c ON c.id = f.case_id JOIN campaigns k ON k.id = "
      "c.campaign_id WHERE k.command_line = 'crashlab explore'");
  EXPECT_NE(copy, "1");
  EXPECT_EQ(raw.Query("SELECT group_concat(shrunk_from) FROM failures WHERE shrunk_from IS NOT "
                      "NULL"),
            copy);
  Result<std::optional<StoredFailure>> f = store->FindFailure(std::stoll(copy));
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->c.failure->trace, original.failure->trace);

  shrink("crashlab shrink 1 --budget 30");
  ASSERT_TRUE(store->MergeFrom(other).ok());
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures WHERE shrunk_from = " + copy), "2");
  EXPECT_EQ(raw.Query("PRAGMA foreign_key_check"), "<none>");
}

TEST_F(ResultsStoreTest, RefusesACrashKindListOutOfOrderOrRepeated) {
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (const char* kinds : {"power-loss,kill", "kill,kill", "kill,", "fire"}) {
    CampaignInfo info = Campaign();
    info.crash_kind = kinds;
    Result<int64_t> id = store->BeginCampaign(info);
    EXPECT_FALSE(id.ok()) << kinds;
  }
}

}  // namespace
}  // namespace crashlab
