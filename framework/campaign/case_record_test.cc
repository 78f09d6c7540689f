#include "framework/campaign/case_record.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

JudgedCase Judged(Verdict verdict, Contract contract) {
  JudgedCase c;
  c.engine = "toykv";
  c.variant = "fsync";
  c.seed = 42;
  c.case_index = 7;
  c.crash = CrashKind::kPowerLoss;
  c.crash_plan = "power-loss event=5/9 profile=posix unit=512 seed=1";
  c.contract = contract;
  c.judgement.verdict = verdict;
  c.judgement.matched_prefix = 3;
  c.judgement.details = "what the oracle saw";
  c.judgement.expected = "expected state";
  c.judgement.recovered = "recovered state";
  c.judgement.difference = "key a: expected 1, recovered 2";
  c.sent = 9;
  c.acked = 5;
  c.recovery_ms = 2.5;
  c.crash_state = "fd1:0123";
  c.syncs = 4;
  c.bytes_written = 4096;
  c.engine_stderr = "panic";
  c.trace = "CLTRACE...";
  c.crash_files = "packed";
  return c;
}

// A case that breaks its contract is recorded with its failure row: the
// judgement's texts, the engine's stderr and the artifacts to replay it.
TEST(BuildCaseRecord, AViolationCarriesItsFailureAndArtifacts) {
  const CaseRecord r = BuildCaseRecord(Judged(Verdict::kLostAcked, Contract::kDurable));
  EXPECT_EQ(r.engine, "toykv");
  EXPECT_EQ(r.variant, "fsync");
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.case_index, 7);
  EXPECT_EQ(r.crash_kind, CrashKind::kPowerLoss);
  EXPECT_EQ(r.contract, Contract::kDurable);
  EXPECT_EQ(r.verdict, Verdict::kLostAcked);
  EXPECT_TRUE(r.violation);
  EXPECT_EQ(r.details, "what the oracle saw");
  EXPECT_EQ(r.txns_sent, 9);
  EXPECT_EQ(r.txns_acked, 5);
  EXPECT_EQ(r.recovered_prefix, 3);
  EXPECT_EQ(r.recovery_ms, 2.5);
  EXPECT_EQ(r.crash_state, "fd1:0123");
  EXPECT_EQ(r.syncs, 4);
  EXPECT_EQ(r.bytes_written, 4096);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->expected, "expected state");
  EXPECT_EQ(r.failure->recovered, "recovered state");
  EXPECT_EQ(r.failure->difference, "key a: expected 1, recovered 2");
  EXPECT_EQ(r.failure->engine_stderr, "panic");
  EXPECT_EQ(r.failure->trace, "CLTRACE...");
  EXPECT_EQ(r.failure->crash_files, "packed");
}

// The same verdict under a contract that allows it is no violation, and
// keeps no failure row: the store refuses a failure without a violation.
TEST(BuildCaseRecord, AKeptContractRecordsNoFailure) {
  const CaseRecord r = BuildCaseRecord(Judged(Verdict::kLostAcked, Contract::kPrefix));
  EXPECT_FALSE(r.violation);
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_EQ(r.verdict, Verdict::kLostAcked);
  // A hang fails under every contract.
  EXPECT_TRUE(BuildCaseRecord(Judged(Verdict::kHang, Contract::kNone)).violation);
}

}  // namespace
}  // namespace crashlab
