// Bugs found by using crashlab the way an adversary would (issue 17, item
// 10): engines with odd files, damaged databases, junk files given as
// databases, awkward paths. Each test failed before its fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

TEST(Adversarial, PowerLossOfAnEngineWithA1TiBSparseFile_IsAClearErrorNotBadAlloc) {
  // One ftruncate made a 1 TiB file; the model held file images whole and
  // asked for 1 TiB (std::bad_alloc, SIGABRT).
  TempDir dir;
  const auto r = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "sparse-1tib", "--seed",
                              "3", "--cases", "2", "--crash", "power-loss", "--db", dir / "db",
                              "--workdir", dir / "cases"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("makes sparse 1099511627776 bytes long, more than the largest file "
                       "crashlab builds crash states of (1073741824 bytes"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Query(dir / "db", "SELECT 1 FROM cases").empty());
}

}  // namespace
}  // namespace crashlab::e2e
