#include "framework/campaign/matrix.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

MatrixCell Cell(const std::string& variant, CrashKind crash, Contract contract,
                std::map<Verdict, int64_t> verdicts) {
  MatrixCell cell;
  cell.engine = "toykv";
  cell.tally.variant = variant;
  cell.tally.crash = crash;
  cell.tally.contract = contract;
  cell.tally.verdicts = verdicts;
  for (const auto& [verdict, count] : verdicts) {
    cell.tally.cases += count;
    if (Violates(verdict, contract)) cell.tally.violations += count;
    if (Violates(verdict, Contract::kDurable) && !Violates(verdict, contract)) {
      cell.allowed_losses += count;
    }
  }
  return cell;
}

TEST(MatrixTest, SaysPlainlyWhereADocumentedRiskWasNeverSeen) {
  MatrixSummary m;
  m.cells.push_back(
      Cell("fsync", CrashKind::kPowerLoss, Contract::kDurable, {{Verdict::kPass, 9}}));
  m.cells.push_back(Cell("nosync", CrashKind::kPowerLoss, Contract::kNone,
                         {{Verdict::kPass, 7}, {Verdict::kCorrupt, 2}}));
  m.cells.push_back(Cell("lazy", CrashKind::kPowerLoss, Contract::kPrefix, {{Verdict::kPass, 9}}));
  m.cells.push_back(Cell("broken", CrashKind::kKill, Contract::kDurable,
                         {{Verdict::kPass, 8}, {Verdict::kLostAcked, 1}}));
  EXPECT_FALSE(m.cells[0].unsafe_but_clean());
  EXPECT_FALSE(m.cells[1].unsafe_but_clean());
  EXPECT_TRUE(m.cells[2].unsafe_but_clean());
  EXPECT_FALSE(m.cells[3].unsafe_but_clean());
  const std::string table = FormatMatrix(m);
  EXPECT_NE(table.find("pass 7, corrupt 2"), std::string::npos) << table;
  EXPECT_NE(table.find("VIOLATED 1x"), std::string::npos) << table;
  EXPECT_NE(table.find("held, but no loss seen (*)"), std::string::npos) << table;
  EXPECT_NE(table.find("toykv/lazy under power-loss"), std::string::npos) << table;
  EXPECT_EQ(table.find("toykv/nosync under"), std::string::npos) << table;
  EXPECT_NE(table.find("documentation is pessimistic"), std::string::npos) << table;
}

}  // namespace
}  // namespace crashlab
