#include "framework/campaign/case_record.h"

#include <utility>

namespace crashlab {
namespace {

// The fields both kinds of campaign case result share (same member names).
template <typename CaseResult>
JudgedCase Judged(const CaseResult& r, CrashKind crash, const std::string& engine,
                  const std::string& variant, uint64_t seed, int64_t case_index) {
  JudgedCase c;
  c.engine = engine;
  c.variant = variant;
  c.seed = seed;
  c.case_index = case_index;
  c.crash = crash;
  c.contract = r.contract;
  c.judgement = r.judgement;
  c.sent = r.sent;
  c.acked = r.acked;
  c.workload_ms = r.workload_ms;
  c.recovery_ms = r.recovery_ms;
  c.total_ms = r.total_ms;
  c.crash_state = r.crash_state;
  c.engine_stderr = r.stderr_tail;
  return c;
}

}  // namespace

CaseRecord BuildCaseRecord(JudgedCase c) {
  CaseRecord r;
  r.engine = std::move(c.engine);
  r.variant = std::move(c.variant);
  r.seed = c.seed;
  r.case_index = c.case_index;
  r.crash_kind = c.crash;
  r.crash_plan = std::move(c.crash_plan);
  r.contract = c.contract;
  r.verdict = c.judgement.verdict;
  r.violation = Violates(c.judgement.verdict, c.contract);
  r.details = std::move(c.judgement.details);
  r.txns_sent = static_cast<int64_t>(c.sent);
  r.txns_acked = static_cast<int64_t>(c.acked);
  r.recovered_prefix = c.judgement.matched_prefix;
  r.workload_ms = c.workload_ms;
  r.recovery_ms = c.recovery_ms;
  r.total_ms = c.total_ms;
  r.crash_state = std::move(c.crash_state);
  r.syncs = c.syncs;
  r.bytes_written = c.bytes_written;
  if (r.violation) {
    r.failure = FailureRecord::Of(std::move(c.judgement.expected), std::move(c.judgement.recovered),
                                  std::move(c.judgement.difference), std::move(c.engine_stderr));
    r.failure->trace = std::move(c.trace);
    r.failure->trace_id = c.trace_id;
    r.failure->crash_files = std::move(c.crash_files);
  }
  return r;
}

CaseRecord ToCaseRecord(const KillCaseResult& r, const std::string& engine,
                        const std::string& variant, uint64_t seed, int64_t case_index) {
  JudgedCase c = Judged(r, CrashKind::kKill, engine, variant, seed, case_index);
  c.crash_plan = r.plan.ToString();
  c.crash_files = r.crash_files;
  return BuildCaseRecord(std::move(c));
}

CaseRecord ToCaseRecord(const TracedCaseResult& r, const std::string& engine,
                        const std::string& variant, uint64_t seed, int64_t case_index) {
  JudgedCase c = Judged(r, r.crash, engine, variant, seed, case_index);
  c.crash_plan = r.PlanText();
  c.syncs = r.syncs;
  c.bytes_written = r.bytes_written;
  c.trace = r.trace;
  return BuildCaseRecord(std::move(c));
}

}  // namespace crashlab
