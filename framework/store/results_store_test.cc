#include "framework/store/results_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <thread>

#include "framework/base/vocabulary.h"

namespace crashlab {
namespace {

// A plain SQLite connection for looking at, or tampering with, a store's file
// behind its back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK) << path;
    sqlite3_busy_timeout(db_, 10'000);
  }
  ~RawDb() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // The first column of the first row, as text; "<none>" if no row.
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out = "<none>";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text ? reinterpret_cast<const char*>(text) : "<null>";
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ResultsStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "/results_store_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
    path_ = dir_ + "/results.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ResultsStore> OpenStore() {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static CampaignInfo Campaign(uint64_t seed = 42) {
    return CampaignInfo{"crashlab run --engine toykv",
                        "toykv",
                        "fsync,nosync",
                        "kill",
                        seed,
                        100,
                        "testhost",
                        "0.1.0",
                        "",
                        ""};
  }

  static CaseRecord Case(int64_t campaign_id, const std::string& variant, int64_t index,
                         const std::string& verdict = "pass") {
    CaseRecord c;
    c.campaign_id = campaign_id;
    c.engine = "toykv";
    c.variant = variant;
    c.seed = 42;
    c.case_index = index;
    c.crash_kind = "kill";
    c.crash_plan = "kill txn=" + std::to_string(index) + " delay_us=120";
    c.contract = "durable";
    c.verdict = verdict;
    c.violation = verdict != "pass";
    c.details = "recovered " + std::to_string(index) + " of 7 transactions";
    c.txns_sent = 7;
    c.txns_acked = 5;
    c.recovered_prefix = c.violation ? 3 : 5;
    c.workload_ms = 12.5;
    c.recovery_ms = 0.25 + static_cast<double>(index);
    c.total_ms = 40.125;
    if (c.violation) {
      c.failure = FailureRecord::Of("prefix 5..7", "prefix 3", "missing txn 4, 5",
                                    std::string("panic: bad page\n\x01\xff") + '\0' + "after nul");
      c.failure->trace = std::string("CLTRACE\0\x01\xff", 10);
    }
    return c;
  }

  std::string dir_, path_;
};

TEST_F(ResultsStoreTest, CreatesSchemaAndRecordsCases) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<int64_t> campaign = store->BeginCampaign(Campaign());
  ASSERT_TRUE(campaign.ok()) << campaign.status().message();
  // Recorded out of order: reading back sorts by variant, then case_index.
  std::vector<CaseRecord> expected = {Case(*campaign, "fsync", 0), Case(*campaign, "fsync", 1),
                                      Case(*campaign, "nosync", 0, "lost-acked")};
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
                                   Case(*campaign, "fsync", 1, "lost-acked"),
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
  CaseRecord c = Case(*campaign, "fsync", 0, "lost-acked");
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
  CaseRecord a = Case(campaign, "fsync", 0, "lost-acked");
  a.failure->trace = trace;
  CaseRecord b = Case(campaign, "fsync", 1, "lost-acked");
  b.failure->trace = trace;
  ASSERT_TRUE(store->RecordCases({a, b}).ok());
  Result<int64_t> id = store->StoreTrace(campaign, trace);
  ASSERT_TRUE(id.ok()) << id.status().message();
  CaseRecord c = Case(campaign, "fsync", 2, "lost-acked");
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
  CaseRecord shrunk = Case(campaign, "fsync", 3, "lost-acked");
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
    ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 1, "torn-txn")).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::vector<CaseRecord>> got = store->CasesOfCampaign(campaign);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].verdict, "torn-txn");
  ASSERT_TRUE(store->LoadArtifacts(*(*got)[1].failure).ok());
  EXPECT_EQ((*got)[1].failure, Case(campaign, "fsync", 1, "torn-txn").failure);
}

TEST_F(ResultsStoreTest, FailureRowStoredWithViolation) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 1, "hole")).ok());

  std::vector<CaseRecord> got = store->CasesOfCampaign(campaign).value();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].failure.has_value());
  ASSERT_TRUE(got[1].failure.has_value());
  ASSERT_TRUE(store->LoadArtifacts(*got[1].failure).ok());
  EXPECT_EQ(*got[1].failure, *Case(campaign, "fsync", 1, "hole").failure);
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

  Status s = store->RecordCase(Case(campaign, "fsync", 0, "corrupt"));
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
  CaseRecord failure_without_violation = Case(campaign, "fsync", 0, "lost-acked");
  failure_without_violation.contract = "prefix";  // prefix allows lost-acked
  failure_without_violation.violation = false;
  CaseRecord wrong_flag = Case(campaign, "fsync", 1, "hang");
  wrong_flag.contract = "none";  // none still fails a hang
  wrong_flag.violation = false;
  wrong_flag.failure.reset();
  CaseRecord unknown_verdict = Case(campaign, "fsync", 2);
  unknown_verdict.verdict = "fine";
  CaseRecord unknown_kind = Case(campaign, "fsync", 3);
  unknown_kind.crash_kind = "reboot";
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
  // Extend these lists with vocabulary.h; the schema's CHECK lists must follow.
  const Verdict verdicts[] = {Verdict::kPass, Verdict::kLostAcked,    Verdict::kTornTxn,
                              Verdict::kHole, Verdict::kCorrupt,      Verdict::kRecoveryFailed,
                              Verdict::kHang, Verdict::kProtocolError};
  const Contract contracts[] = {Contract::kDurable, Contract::kPrefix, Contract::kNone};
  const CrashKind kinds[] = {CrashKind::kKill, CrashKind::kPowerLoss};
  int64_t index = 0;
  for (Verdict verdict : verdicts) {
    for (Contract contract : contracts) {
      for (CrashKind kind : kinds) {
        CaseRecord c = Case(campaign, "fsync", index++);
        c.verdict = Name(verdict);
        c.contract = Name(contract);
        c.crash_kind = Name(kind);
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

TEST_F(ResultsStoreTest, RejectsNonCrashlabDatabase) {
  RawDb(path_).Exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_);
  ASSERT_FALSE(store.ok());
  const std::string message = store.status().message();
  EXPECT_NE(message.find("not a crashlab results database"), std::string::npos) << message;
  EXPECT_NE(message.find("photos"), std::string::npos) << message;
  EXPECT_NE(message.find("--db"), std::string::npos) << message;
  // The foreign database is left as it was: no WAL switch, no crashlab tables.
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw.Query("SELECT group_concat(name) FROM sqlite_master"), "photos");
}

TEST_F(ResultsStoreTest, RejectsNewerSchema) {
  ASSERT_NE(OpenStore(), nullptr);
  RawDb(path_).Exec("PRAGMA user_version = 99");
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_);
  ASSERT_FALSE(store.ok());
  const std::string message = store.status().message();
  EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
  EXPECT_NE(message.find("versions 1 to " + std::to_string(ResultsStore::kSchemaVersion)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("upgrade crashlab"), std::string::npos) << message;
  EXPECT_EQ(RawDb(path_).Query("PRAGMA user_version"), "99");
}

TEST_F(ResultsStoreTest, RejectsNonSqliteFile) {
  std::string garbage;
  while (garbage.size() < 4096) garbage += "these are campaign notes, not a database\n";
  std::ofstream(path_, std::ios::binary) << garbage;
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_);
  ASSERT_FALSE(store.ok());
  const std::string message = store.status().message();
  EXPECT_NE(message.find("not a SQLite database"), std::string::npos) << message;
  EXPECT_NE(message.find(path_), std::string::npos) << message;
  EXPECT_NE(message.find("--db"), std::string::npos) << message;
  EXPECT_EQ(ReadAll(path_), garbage);
}

TEST_F(ResultsStoreTest, OpenFailsWhenDirectoryIsMissing) {
  const std::string path = dir_ + "/missing/results.db";
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("directory exists"), std::string::npos);
}

TEST_F(ResultsStoreTest, FindCaseReturnsMostRecent) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t first = store->BeginCampaign(Campaign()).value();
  int64_t second = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(first, "fsync", 3, "lost-acked")).ok());
  ASSERT_TRUE(store->RecordCase(Case(second, "fsync", 3)).ok());
  // Recorded last, but of the other crash kind: not a match.
  int64_t third = store->BeginCampaign(Campaign()).value();
  CaseRecord power_loss = Case(third, "fsync", 3, "hole");
  power_loss.crash_kind = "power-loss";
  ASSERT_TRUE(store->RecordCase(power_loss).ok());

  Result<std::optional<CaseRecord>> found = store->FindCase("toykv", "fsync", 42, 3, "kill");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->campaign_id, second);
  EXPECT_EQ((*found)->verdict, "pass");
  EXPECT_FALSE((*found)->failure.has_value());
}

TEST_F(ResultsStoreTest, FindCaseReturnsNulloptWhenNothingMatches) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 3)).ok());
  ASSERT_TRUE(store->FindCase("toykv", "fsync", 42, 3, "kill")->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 3, "power-loss")->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 43, 3, "kill")->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 4, "kill")->has_value());
  EXPECT_FALSE(store->FindCase("other", "fsync", 42, 3, "kill")->has_value());
  EXPECT_FALSE(store->FindCase("toykv", "fsync", 42, 3, "reboot").ok());
}

TEST_F(ResultsStoreTest, JournalModeIsWal) {
  ASSERT_NE(OpenStore(), nullptr);
  EXPECT_EQ(RawDb(path_).Query("PRAGMA journal_mode"), "wal");
}

TEST_F(ResultsStoreTest, DuplicateCaseIsAnError) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  int64_t campaign = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(campaign, "fsync", 0)).ok());
  Status s = store->RecordCase(Case(campaign, "fsync", 0, "lost-acked"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already recorded"), std::string::npos) << s.message();
  std::vector<CaseRecord> got = store->CasesOfCampaign(campaign).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].verdict, "pass");
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
  Result<std::optional<CaseRecord>> found = store->FindCase("toykv", "fsync", max_seed, 0, "kill");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->seed, max_seed);
  EXPECT_EQ(RawDb(path_).Query("SELECT seed FROM campaigns"), std::to_string(max_seed));
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

TEST_F(ResultsStoreTest, ConcurrentOpensOfANewFileAllSucceed) {
  // Every opener sees an empty file; only one may create the schema.
  std::vector<std::string> errors(8);
  std::vector<std::thread> threads;
  for (std::string& error : errors) {
    threads.emplace_back([&] {
      Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_);
      if (!store.ok()) error = store.status().message();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(RawDb(path_).Query("PRAGMA user_version"),
            std::to_string(ResultsStore::kSchemaVersion));
}

// testdata/results-v1.db was written by crashlab at schema version 1 (a kill
// campaign of the fake engine: 6 cases, 3 violations with their failures).
TEST_F(ResultsStoreTest, MigratesAVersion1FileKeepingEveryCaseAndFailure) {
  std::filesystem::copy_file(CRASHLAB_TESTDATA "/results-v1.db", path_);
  ASSERT_EQ(RawDb(path_).Query("PRAGMA user_version"), "1");
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM campaigns"), "1");
  EXPECT_EQ(raw.Query("PRAGMA foreign_key_check"), "<none>");
  Result<std::vector<CaseRecord>> cases = store->CasesOfCampaign(1);
  ASSERT_TRUE(cases.ok()) << cases.status().message();
  ASSERT_EQ(cases->size(), 6u);
  int failures = 0;
  for (const CaseRecord& c : *cases) {
    EXPECT_EQ(c.crash_state, "");
    EXPECT_EQ(c.failure.has_value(), c.violation);
    failures += c.failure.has_value();
  }
  EXPECT_EQ(failures, 3);
  // The rebuilt campaigns table accepts a mixed campaign, and the cases still
  // belong to their campaign: deleting it deletes them.
  CampaignInfo mixed = Campaign();
  mixed.crash_kind = "kill,power-loss";
  Result<int64_t> id = store->BeginCampaign(mixed);
  ASSERT_TRUE(id.ok()) << id.status().message();
  raw.Exec("PRAGMA foreign_keys = ON; DELETE FROM campaigns WHERE id = 1");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM cases"), "0");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures"), "0");
}

// Version 4 stores a trace once per campaign: a version-3 file (written by
// the release before: an exploration's kill failures and a power-loss
// campaign's, each with its trace inline) keeps every failure, and each
// trace moves to `traces`, read back byte for byte.
TEST_F(ResultsStoreTest, MigratesAVersion3FileMovingTracesOutOfFailures) {
  std::filesystem::copy_file(CRASHLAB_TESTDATA "/results-v3.db", path_);
  ASSERT_EQ(RawDb(path_).Query("PRAGMA user_version"), "3");
  const std::string before = RawDb(path_).Query("SELECT count(*) FROM failures");
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures"), before);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures WHERE trace IS NOT NULL"), "0");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM failures WHERE trace_id IS NULL"), "0");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM traces"), before);
  EXPECT_EQ(raw.Query("PRAGMA foreign_key_check"), "<none>");
  Result<std::optional<StoredFailure>> f = store->FindFailure(1);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->c.failure->trace.substr(0, 7), "CLTRACE");
  EXPECT_EQ((*f)->campaign_workload, "");
}

// Version 6 lets a campaign end in `error` (interrupted is for signals): a
// version-5 file (a power-loss campaign with failures and their traces,
// marked interrupted) keeps its campaign, cases, failures and traces, linked
// as before, and takes the new status.
TEST_F(ResultsStoreTest, MigratesAVersion5FileToCampaignsThatMayEndInError) {
  std::filesystem::copy_file(CRASHLAB_TESTDATA "/results-v5.db", path_);
  ASSERT_EQ(RawDb(path_).Query("PRAGMA user_version"), "5");
  const std::string counts =
      "SELECT (SELECT count(*) FROM cases) || ' ' || (SELECT count(*) FROM failures) || ' ' || "
      "(SELECT count(*) FROM traces) || ' ' || (SELECT group_concat(status) FROM campaigns)";
  const std::string before = RawDb(path_).Query(counts);
  ASSERT_EQ(before, "7 2 2 interrupted");
  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(raw.Query(counts), before);
  EXPECT_EQ(raw.Query("PRAGMA foreign_key_check"), "<none>");
  Result<std::optional<StoredFailure>> f =
      store->FindFailure(std::stoll(raw.Query("SELECT min(id) FROM failures")));
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->c.failure->trace.substr(0, 7), "CLTRACE");
  const int64_t campaign = std::stoll(raw.Query("SELECT id FROM campaigns"));
  ASSERT_TRUE(store->FinishCampaign(campaign, "error").ok());
  EXPECT_EQ(raw.Query("SELECT status FROM campaigns"), "error");
}

TEST_F(ResultsStoreTest, MigratesAVersion1FileAllTheWayToSoaks) {
  std::filesystem::copy_file(CRASHLAB_TESTDATA "/results-v1.db", path_);
  ASSERT_NE(OpenStore(), nullptr);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT count(*) FROM soaks"), "0");
  EXPECT_EQ(raw.Query("SELECT count(*) FROM soak_campaigns"), "0");
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
  ASSERT_TRUE(store->RecordCase(Case(*short_campaign, "fsync", 1, "lost-acked")).ok());
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
  EXPECT_EQ((*groups)[1].verdict, "pass");
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
  ASSERT_TRUE(store->RecordCase(Case(in_soak, "fsync", 0, "lost-acked")).ok());
  ASSERT_TRUE(store->RecordCase(Case(alone, "fsync", 0, "lost-acked")).ok());
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
  CaseRecord original = Case(found, "fsync", 0, "lost-acked");
  original.failure->trace = std::string("CLTRACE\0", 8) + "events";
  ASSERT_TRUE((*src)->RecordCase(original).ok());
  const int64_t original_id = (*src)->CasesOfCampaign(found).value()[0].failure->id;
  auto shrink = [&](const std::string& name) {
    CaseRecord shrunk = Case(campaign(name), "fsync", 0, "lost-acked");
    shrunk.failure->shrunk_from = original_id;
    ASSERT_TRUE((*src)->RecordCase(shrunk).ok());
  };
  shrink("crashlab shrink 1");

  std::unique_ptr<ResultsStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t mine = store->BeginCampaign(Campaign()).value();
  ASSERT_TRUE(store->RecordCase(Case(mine, "fsync", 0, "hole")).ok());  // failure 1 is taken
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
