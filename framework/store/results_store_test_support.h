// The fixture of the results store's tests (results_store_*_test.cc): a
// fresh directory per test, a store opened in it, and the campaign and case
// records the tests write.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "framework/base/vocabulary.h"
#include "framework/store/results_store.h"

namespace crashlab::store_test {

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

inline std::string ReadAll(const std::string& path) {
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
                         Verdict verdict = Verdict::kPass) {
    CaseRecord c;
    c.campaign_id = campaign_id;
    c.engine = "toykv";
    c.variant = variant;
    c.seed = 42;
    c.case_index = index;
    c.crash_kind = CrashKind::kKill;
    c.crash_plan = "kill txn=" + std::to_string(index) + " delay_us=120";
    c.contract = Contract::kDurable;
    c.verdict = verdict;
    c.violation = verdict != Verdict::kPass;
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

}  // namespace crashlab::store_test
