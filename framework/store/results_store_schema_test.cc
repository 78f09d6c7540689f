// The results store's schema: opening files of every kind (new, foreign,
// newer, not SQLite), WAL mode, concurrent creation, and migrations from the
// versions earlier releases wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>
#include <vector>

#include "framework/store/results_store_test_support.h"

namespace crashlab {
namespace {

using store_test::RawDb;
using store_test::ReadAll;
using store_test::ResultsStoreTest;

// The quoted words of every `<column> IN ('a', 'b', ...)` in `sql`, in order.
std::vector<std::string> CheckList(const std::string& sql, const std::string& column) {
  std::vector<std::string> words;
  const std::regex in("\\b" + column + " IN \\(([^)]*)\\)");
  const std::regex quoted("'([^']*)'");
  for (auto m = std::sregex_iterator(sql.begin(), sql.end(), in); m != std::sregex_iterator();
       ++m) {
    const std::string list = (*m)[1];
    for (auto w = std::sregex_iterator(list.begin(), list.end(), quoted);
         w != std::sregex_iterator(); ++w) {
      words.push_back((*w)[1]);
    }
  }
  return words;
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

TEST_F(ResultsStoreTest, JournalModeIsWal) {
  ASSERT_NE(OpenStore(), nullptr);
  EXPECT_EQ(RawDb(path_).Query("PRAGMA journal_mode"), "wal");
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

// The words the schema's CHECK constraints allow, as a fresh database holds
// them after every migration, are the vocabulary table's, in its order: a
// word added to vocabulary.cc without a migration (or one the other way
// round) fails here, not in the field as a CHECK constraint failure.
TEST_F(ResultsStoreTest, TheSchemasCheckListsAreTheVocabularyTable) {
  ASSERT_NE(OpenStore(), nullptr);
  RawDb raw(path_);
  const std::string cases = raw.Query("SELECT sql FROM sqlite_master WHERE name = 'cases'");
  const std::string campaigns = raw.Query("SELECT sql FROM sqlite_master WHERE name = 'campaigns'");
  const std::string matrix_cells =
      raw.Query("SELECT sql FROM sqlite_master WHERE name = 'matrix_cells'");
  std::vector<std::string> kinds, contracts, verdicts, kind_lists;
  for (CrashKind k : kCrashKinds) kinds.emplace_back(Name(k));
  for (Contract c : kContracts) contracts.emplace_back(Name(c));
  for (const VerdictInfo& v : VerdictTable()) verdicts.emplace_back(v.name);
  // A campaign names one kind or several, in the order of the enum.
  for (unsigned subset = 1; subset < (1u << kCrashKinds.size()); ++subset) {
    std::vector<CrashKind> list;
    for (std::size_t k = 0; k < kCrashKinds.size(); ++k) {
      if (subset & (1u << k)) list.push_back(kCrashKinds[k]);
    }
    kind_lists.push_back(CrashKindsName(list));
  }
  EXPECT_EQ(CheckList(cases, "crash_kind"), kinds) << cases;
  EXPECT_EQ(CheckList(cases, "contract"), contracts) << cases;
  EXPECT_EQ(CheckList(cases, "verdict"), verdicts) << cases;
  EXPECT_EQ(CheckList(campaigns, "crash_kind"), kind_lists) << campaigns;
  // The matrix view counts every verdict in a column of its own.
  std::vector<std::string> counted;
  const std::regex sum("sum\\(c\\.verdict = '([^']*)'\\)");
  for (auto m = std::sregex_iterator(matrix_cells.begin(), matrix_cells.end(), sum);
       m != std::sregex_iterator(); ++m) {
    counted.push_back((*m)[1]);
  }
  EXPECT_EQ(counted, verdicts) << matrix_cells;
}

}  // namespace
}  // namespace crashlab
