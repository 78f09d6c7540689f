// crashlab matrix end to end, short form: every SQLite and LMDB variant under
// kill and power loss, tens of cases per cell; every documented promise holds.
// scripts/matrix runs the full form (thousands of cases per cell).
#include <gtest/gtest.h>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

TEST(Matrix, SqliteAndLmdb_EveryDocumentedPromiseHolds) {
  TempDir dir;
  const std::string db = dir / "results.db";
  CommandResult r = RunCrashlab({"matrix", "--engine", "sqlite", "--engine", "lmdb", "--seed", "3",
                                 "--cases", "10", "--db", db, "--workdir", dir / "cases"},
                                {{"CRASHLAB_TEST_MARKER", dir.path()}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 violation(s); recorded as matrix 1"), std::string::npos) << r.out;
  const auto cells = Query(db,
                           "SELECT engine, variant, crash_kind, cases, violations FROM "
                           "matrix_cells WHERE matrix_id = 1");
  EXPECT_EQ(cells.size(), 2u * (16 + 5));
  for (const Row& cell : cells) {
    EXPECT_EQ(cell.at("cases"), "10") << cell.at("engine") << "/" << cell.at("variant");
    EXPECT_EQ(cell.at("violations"), "0") << cell.at("engine") << "/" << cell.at("variant");
  }
  EXPECT_EQ(Query(db, "SELECT status FROM matrices")[0].at("status"), "finished");
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()), 0);
}

}  // namespace
}  // namespace crashlab::e2e
