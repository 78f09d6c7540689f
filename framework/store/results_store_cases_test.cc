// The results store's cases and failures: recorded whole or not at all,
// read back as they were written, refused when inconsistent.
#include <gtest/gtest.h>

#include <regex>

#include "framework/store/results_store_test_support.h"

namespace crashlab {
namespace {

using store_test::RawDb;
using store_test::ReadAll;
using store_test::ResultsStoreTest;

TEST_F(ResultsStoreTest, CreatesSchemaAndRecordsCases) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<int64_t> campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(campaign.ok()) << campaign.status().message();
  // Recorded out of order: reading back sorts by variant, then case_index.
  std::vector<CaseRecord> expected = {Case(*campaign, "fsync", 0), Case(*campaign, "fsync", 1),
                                      Case(*campaign, "nosync", 0, Verdict::kLostAcked)};
  for (int i : {2, 1, 0}) ASSERT_TRUE(store->RecordCase(expected[i]).ok());

  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(*campaign);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 3u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_GT((*got)[i].id, 0);
    expected[i].id = (*got)[i].id;
    // A campaign's cases come without their failures' artifacts.
    if ((*got)[i].failure) {
      EXPECT_EQ((*got)[i].failure->trace, "");
      ASSERT_TRUE(store->LoadArtifacts(*(*got)[i].failure).ok());
    }
    EXPECT_EQ((*got)[i], expected[i]) << "case " << i;
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(raw.Query("SELECT status FROM campaigns"), "running");
  EXPECT_EQ(raw.Query("SELECT engine || ' ' || variants || ' ' || seed FROM campaigns"),
            "toykv fsync,nosync 42");
  const std::regex iso8601(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(raw.Query("SELECT started_at FROM campaigns"), iso8601));
  EXPECT_TRUE(std::regex_match(raw.Query("SELECT min(recorded_at) FROM cases"), iso8601));
}

// A batch commits whole or not at all: one bad case keeps every other out.
TEST_F(ResultsStoreTest, RecordCasesIsAllOrNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<int64_t> campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(campaign.ok()) << campaign.status().message();
  std::vector<CaseRecord> batch = {Case(*campaign, "fsync", 0),
                                   Case(*campaign, "fsync", 1, Verdict::kLostAcked),
                                   Case(*campaign, "nosync", 0)};
  std::vector<CaseRecord> bad = batch;
  bad.push_back(Case(*campaign, "fsync", 0));  // recorded twice
  EXPECT_FALSE(store->RecordCases(bad).ok());
  EXPECT_EQ(store->CasesOfCampaign(*campaign)->size(), 0u);
  ASSERT_TRUE(store->RecordCases(batch).ok());
  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(*campaign);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_TRUE((*got)[1].failure.has_value());
}

// Traces are stored compressed and read back as they were.
TEST_F(ResultsStoreTest, TracesAreStoredCompressed) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<int64_t> campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(campaign.ok()) << campaign.status().message();
  CaseRecord c = Case(*campaign, "fsync", 0, Verdict::kLostAcked);
  c.failure->trace = std::string("CLTRACE\0", 8) + std::string(1 << 20, 'p');
  ASSERT_TRUE(store->RecordCase(c).ok());
  RawDb raw(path_);
  EXPECT_LT(std::stoll(raw.Query("SELECT length(data) FROM traces")), 100000);
  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(*campaign);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(store->LoadArtifacts(*(*got)[0].failure).ok());
  EXPECT_EQ((*got)[0].failure->trace, c.failure->trace);
}

// Failures sharing a trace (an exploration's) store it once; StoreTrace
// returns the id they link.
TEST_F(ResultsStoreTest, ATraceSharedByFailuresIsStoredOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t campaign = store->BeginCampaign(Campaign()).value();
  const std::string trace = std::string("CLTRACE\0", 8) + std::string(5000, 'q');
  CaseRecord a = Case(campaign, "fsync", 0, Verdict::kLostAcked);
  a.failure->trace = trace;
  CaseRecord b = Case(campaign, "fsync", 1, Verdict::kLostAcked);
  b.failure->trace = trace;
  ASSERT_TRUE(store->RecordCases({a, b}).ok());
  Result<int64_t> id = store->StoreTrace(campaign, trace);
  ASSERT_TRUE(id.ok()) << id.status().message();
  CaseRecord c = Case(campaign, "fsync", 2, Verdict::kLostAcked);
  c.failure->trace.clear();
  c.failure->trace_id = *id;
  ASSERT_TRUE(store->RecordCase(c).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM traces"), "1");
  EXPECT_EQ(raw.Query("SELECT count(DISTINCT trace_id) FROM failures"), "1");
  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(campaign);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  for (CaseRecord& r : *got) {
    ASSERT_TRUE(store->LoadArtifacts(*r.failure).ok());
    EXPECT_EQ(r.failure->trace, trace);
  }
  // A shrunk failure links its original; crash files round-trip.
  CaseRecord shrunk = Case(campaign, "fsync", 3, Verdict::kLostAcked);
  shrunk.failure->shrunk_from = (*got)[0].failure->id;
  shrunk.failure->crash_files = "packed files";
  ASSERT_TRUE(store->RecordCase(shrunk).ok());
  Result<std::vector<int64_t>> children = store->ShrunkFrom((*got)[0].failure->id);
  ASSERT_TRUE(children.ok());
  ASSERT_EQ(children->size(), 1u);
  Result<std::optional<StoredFailure>> found = store->FindFailure(children->front());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->c.failure->crash_files, "packed files");
  EXPECT_TRUE((*found)->c.failure->has_crash_files);
  EXPECT_EQ((*found)->c.failure->shrunk_from, (*got)[0].failure->id);
  shrunk.failure->shrunk_from = 999;
  shrunk.case_index = 4;
  Status dangling = store->RecordCase(shrunk);
  EXPECT_NE(dangling.message().find("shrunk from is not recorded"), std::string::npos)
      << dangling.message();
}

TEST_F(ResultsStoreTest, ReopenKeepsCases) {
  int64_t campaign = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    campaign = store->BeginCampaign(Campaign()).value();
    ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
    ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 1, Verdict::kTornTxn)).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(campaign);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].verdict, Verdict::kTornTxn);
  ASSERT_TRUE(store->LoadArtifacts(*(*got)[1].failure).ok());
  EXPECT_EQ((*got)[1].failure, Case(campaign, "fsync", 1, Verdict::kTornTxn).failure);
}

TEST_F(ResultsStoreTest, FailureRowStoredWithViolation) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 1, Verdict::kHole)).ok());

  std::vector<CaseRecord> got = store->CasesOfCampaign(campaign).value();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].failure.has_value());
  ASSERT_TRUE(got[1].failure.has_value());
  ASSERT_TRUE(store->LoadArtifacts(*got[1].failure).ok());
  EXPECT_EQ(*got[1].failure, *Case(campaign, "fsync", 1, Verdict::kHole).failure);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures"), "1");
  EXPECT_EQ(raw.Query("SELECT case_id FROM failures"), std::to_string(got[1].id));
}

TEST_F(ResultsStoreTest, CaseAndFailureCommitTogether) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  // Make the failure insert fail after the case row is already written.
  RawDb raw(path_);
  raw.Exec(
      "CREATE TRIGGER sabotage BEFORE INSERT ON failures "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

  Status s = store->RecordCase(Case(campaign, "fsync", 0, Verdict::kCorrupt));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.message();
  EXPECT_EQ(raw.Query("SELECT count(*) FROM cases"), "0");
  // The transaction was rolled back, not left open: the store still writes.
  EXPECT_TRUE(store->RecordCase(Case(campaign, "fsync", 1)).ok());
  EXPECT_EQ(raw.Query("SELECT count(*) FROM cases"), "1");
}

TEST_F(ResultsStoreTest, RejectsInconsistentCases) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  CaseRecord failure_without_violation = Case(campaign, "fsync", 0, Verdict::kLostAcked);
  failure_without_violation.contract = Contract::kPrefix;  // prefix allows lost-acked
  failure_without_violation.violation = false;
  CaseRecord wrong_flag = Case(campaign, "fsync", 1, Verdict::kHang);
  wrong_flag.contract = Contract::kNone;  // none still fails a hang
  wrong_flag.violation = false;
  wrong_flag.failure.reset();
  CaseRecord unknown_verdict = Case(campaign, "fsync", 2);
  unknown_verdict.verdict = static_cast<Verdict>(99);  // an integer no verdict has
  CaseRecord unknown_kind = Case(campaign, "fsync", 3);
  unknown_kind.crash_kind = static_cast<CrashKind>(7);
  CaseRecord big_seed = Case(campaign, "fsync", 4);
  big_seed.seed = uint64_t{1} << 63;
  for (const CaseRecord& c :
       {failure_without_violation, wrong_flag, unknown_verdict, unknown_kind, big_seed}) {
    Status s = store->RecordCase(c);
    EXPECT_FALSE(s.ok()) << "case " << c.case_index;
    EXPECT_NE(s.message().find("fsync #" + std::to_string(c.case_index)), std::string::npos)
        << s.message();
  }
  EXPECT_TRUE(store->CasesOfCampaign(campaign)->empty());
}

TEST_F(ResultsStoreTest, AcceptsEveryWordOfTheVocabulary) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  // The vocabulary's tables; the schema's CHECK lists must follow them
  // (TheSchemasCheckListsAreTheVocabularyTable).
  int64_t index = 0;
  for (const VerdictInfo& v : VerdictTable()) {
    const Verdict verdict = v.verdict;
    for (Contract contract : kContracts) {
      for (CrashKind kind : kCrashKinds) {
        CaseRecord c = Case(campaign, "fsync", index++);
        c.verdict = verdict;
        c.contract = contract;
        c.crash_kind = kind;
        c.violation = Violates(verdict, contract);
        if (!c.violation) c.failure.reset();
        if (c.violation && !c.failure) c.failure = FailureRecord::Of("a", "b", "c", "d");
        Status s = store->RecordCase(c);
        EXPECT_TRUE(s.ok()) << s.message();
      }
    }
  }
  EXPECT_EQ(store->CasesOfCampaign(campaign)->size(), static_cast<size_t>(index));
}

TEST_F(ResultsStoreTest, FindCaseReturnsMostRecent) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t first = store->BeginCampaign(Campaign()).value();
  int64_t second = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(first, "fsync", 3, Verdict::kLostAcked)).ok());
  ASSERT_TRUE(store->RecordCase(Case(second, "fsync", 3)).ok());
  // Recorded last, but of the other crash kind: not a match.
  int64_t third = store->BeginCampaign(Campaign()).value();
  CaseRecord power_loss = Case(third, "fsync", 3, Verdict::kHole);
  power_loss.crash_kind = CrashKind::kPowerLoss;
  ASSERT_TRUE(store->RecordCase(power_loss).ok());

  Result<std::optional<CaseRecord>> found =
      store->FindCase("toykv", "fsync", 42, 3, CrashKind::kKill);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->campaign_id, second);
  EXPECT_EQ((*found)->verdict, Verdict::kPass);
  EXPECT_FALSE((*found)->failure.has_value());
}

TEST_F(ResultsStoreTest, FindCaseReturnsNulloptWhenNothingMatches) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 3)).ok());
  ASSERT_TRUE(store->FindCase("toykv", "fsync", 42, 3, CrashKind::kKill)->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 3, CrashKind::kPowerLoss)->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 43, 3, CrashKind::kKill)->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 4, CrashKind::kKill)->has_value());
  EXPECT_FALSE(store->FindCase("other", "fsync", 42, 3, CrashKind::kKill)->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 3, static_cast<CrashKind>(7)).ok());
}

TEST_F(ResultsStoreTest, DuplicateCaseIsAnError) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
  Status s = store->RecordCase(Case(campaign, "fsync", 0, Verdict::kLostAcked));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already recorded"), std::string::npos) << s.message();
  std::vector<CaseRecord> got = store->CasesOfCampaign(campaign).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].verdict, Verdict::kPass);
  EXPECT_EQ(RawDb(path_).Query("SELECT count(*) FROM failures"), "0");
}

TEST_F(ResultsStoreTest, UnknownCampaignIsAnError) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Status s = store->RecordCase(Case(77, "fsync", 0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no such campaign"), std::string::npos) << s.message();
  EXPECT_FALSE(store->CasesOfCampaign(77).ok());
  EXPECT_FALSE(store->FinishCampaign(77, "finished").ok());
}

TEST_F(ResultsStoreTest, TwoStoresWriteOneFile) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  int64_t campaign_a = a->BeginCampaign(Campaign()).value();
  int64_t campaign_b = b->BeginCampaign(Campaign()).value();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a->RecordCase(Case(campaign_a, "fsync", i)).ok());
    ASSERT_TRUE(b->RecordCase(Case(campaign_b, "fsync", i)).ok());
  }
  EXPECT_EQ(a->CasesOfCampaign(campaign_b)->size(), 10u);
  EXPECT_EQ(b->CasesOfCampaign(campaign_a)->size(), 10u);
}

TEST_F(ResultsStoreTest, RecordsACrashStateDigest) {
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<int64_t> campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(campaign.ok());
  CaseRecord c = Case(*campaign, "fsync", 0);
  c.crash_state = "0123456789abcdef";
  c.syncs = 7;
  c.bytes_written = 123456;
  ASSERT_TRUE(store->RecordCase(c).ok());
  ASSERT_TRUE(store->RecordCase(Case(*campaign, "fsync", 1)).ok());  // a real kill: no cost
  Result<std::vector<CaseRecord>> cases = store->CasesOfCampaign(*campaign);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 2u);
  EXPECT_EQ((*cases)[0].crash_state, "0123456789abcdef");
  EXPECT_EQ((*cases)[0].syncs, 7);
  EXPECT_EQ((*cases)[0].bytes_written, 123456);
  EXPECT_EQ((*cases)[1].syncs, -1);
  EXPECT_EQ(RawDb(path_).Query("SELECT count(*) FROM cases WHERE syncs IS NULL"), "1");
}

// The store reads back only words it knows: a row whose vocabulary column
// holds another word (here written past the CHECK constraints, as a hand
// edit or a crashlab whose vocabulary grew without a migration would) makes
// every reader of that row fail with an error naming the row and the word,
// rather than return a case with a made-up verdict.
TEST_F(ResultsStoreTest, AnUnknownWordInARowIsAnErrorNamingTheRow) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 1, Verdict::kLostAcked)).ok());
  RawDb raw(path_);
  raw.Exec(
      "PRAGMA ignore_check_constraints = ON; UPDATE cases SET verdict = 'mangled' WHERE "
      "case_index = 1");
  const std::string id = raw.Query("SELECT id FROM cases WHERE case_index = 1");
  auto names_the_row = [&](const Status& s) {
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("case " + id + " (table cases)"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("verdict \"mangled\""), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  };
  names_the_row(store->CasesOfCampaign(campaign).status());
  names_the_row(store->Failures(0).status());
  names_the_row(store->FindCase("toykv", "fsync", 42, 1, CrashKind::kKill).status());
  const int64_t failure = std::stoll(raw.Query("SELECT id FROM failures"));
  names_the_row(store->FindFailure(failure).status());
  // The rows it knows still read.
  EXPECT_TRUE(store->FindCase("toykv", "fsync", 42, 0, CrashKind::kKill).ok());
  raw.Exec("PRAGMA ignore_check_constraints = ON; UPDATE cases SET contract = 'strict'");
  Status s = store->CasesOfCampaign(campaign).status();
  EXPECT_NE(s.message().find("contract \"strict\""), std::string::npos) << s.message();
}

}  // namespace
}  // namespace crashlab
