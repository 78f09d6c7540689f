// A stored plan carries the persistence model version it was built under
// (framework/plan/model_version.h). `crashlab repro` and `crashlab explain`
// rebuild a failure's crash state from its stored trace under today's rules,
// so they say so when the failure was recorded under another version.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

constexpr const char* kModelLine =
    "model:     recorded under persistence model version 1, and "
    "this crashlab builds crash states under version 2: a state "
    "rebuilt from its trace follows today's rules";

// Rewrites failure `id`'s stored plan as releases before model versions
// wrote it: without its " model=2" token.
void MakeModelVersionOne(const std::string& db, const std::string& id) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  const std::string sql =
      "UPDATE cases SET crash_plan = replace(crash_plan, ' model=2', '') WHERE id = (SELECT "
      "case_id FROM failures WHERE id = " +
      id + ")";
  EXPECT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
}

TEST(PlanVersion, AFailureOfAnotherModelVersion_ReproAndExplainSaySo) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "journal-no-sync", "--seed",
                   "1", "--txns", "20", "--first", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::string id = Query(db, "SELECT min(id) AS id FROM failures")[0].at("id");
  const std::string plan_sql =
      "SELECT c.crash_plan FROM failures f JOIN cases c ON c.id = f.case_id WHERE f.id = " + id;
  const std::string plan = Query(db, plan_sql)[0].at("crash_plan");
  ASSERT_TRUE(plan.ends_with(" model=2")) << plan;

  // Recorded under this build's model: no such line.
  CommandResult current = RunCrashlab({"repro", id, "--db", db});
  EXPECT_EQ(current.exit_code, 1) << current.out << current.err;
  EXPECT_EQ(current.out.find("model:"), std::string::npos) << current.out;
  EXPECT_NE(current.out.find("crash state: rebuilt byte for byte"), std::string::npos)
      << current.out;
  CommandResult explained = RunCrashlab({"explain", id, "--db", db});
  EXPECT_EQ(explained.exit_code, 0) << explained.out << explained.err;
  EXPECT_EQ(explained.out.find("model:"), std::string::npos) << explained.out;

  MakeModelVersionOne(db, id);
  ASSERT_EQ(Query(db, plan_sql)[0].at("crash_plan"), plan.substr(0, plan.size() - 8));
  CommandResult old = RunCrashlab({"repro", id, "--db", db});
  EXPECT_EQ(old.exit_code, 1) << old.out << old.err;
  EXPECT_NE(old.out.find(kModelLine), std::string::npos) << old.out;
  EXPECT_NE(old.out.find("`crashlab repro --rerun` reruns the workload\n"), std::string::npos)
      << old.out;
  // The rules did not change between versions 1 and 2: the same state, and
  // the same plan but for its version.
  EXPECT_NE(old.out.find("crash state: rebuilt byte for byte"), std::string::npos) << old.out;
  EXPECT_EQ(old.out.find("that case ran another plan"), std::string::npos) << old.out;
  explained = RunCrashlab({"explain", id, "--db", db});
  EXPECT_EQ(explained.exit_code, 0) << explained.out << explained.err;
  EXPECT_NE(explained.out.find("model: recorded under persistence model version 1"),
            std::string::npos)
      << explained.out;
}

}  // namespace
}  // namespace crashlab::e2e
