// How a judged case becomes the record the results store keeps, in one
// place for every runner: campaign cases (kill and traced), repro, and the
// crash states an exploration judges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "framework/base/vocabulary.h"
#include "framework/case/kill_case.h"
#include "framework/case/oracle.h"
#include "framework/case/traced_case.h"
#include "framework/store/results_store.h"

namespace crashlab {

// What a judged case is made of, whichever runner judged it.
struct JudgedCase {
  // Where the case sits: what the store and repro find it by.
  std::string engine, variant;
  uint64_t seed = 0;  // the campaign's
  int64_t case_index = 0;
  CrashKind crash = CrashKind::kKill;
  std::string crash_plan;  // the plan's text (KillPlan::ToString, TracedPlan's text)
  Contract contract = Contract::kDurable;
  Judgement judgement;
  std::size_t sent = 0, acked = 0;  // transactions sent and acknowledged by the crash
  double workload_ms = 0, recovery_ms = 0, total_ms = 0;
  std::string crash_state;                 // CaseRecord::crash_state
  int64_t syncs = -1, bytes_written = -1;  // a traced case's I/O up to its crash point
  // A violation's artifacts; dropped for a case that keeps its contract.
  std::string engine_stderr;  // the tail of the engine's stderr
  std::string trace;          // the trace file, or
  int64_t trace_id = 0;       // the id of one the store holds already (StoreTrace)
  std::string crash_files;    // the crash state's files, packed (a real kill)
};

// The record of `c`, ready for ResultsStore::RecordCase (campaign_id still
// 0): `violation` is Violates(verdict, contract), and a violation carries its
// failure row with the judgement's texts and the artifacts.
CaseRecord BuildCaseRecord(JudgedCase c);

// The record of one finished campaign case, through BuildCaseRecord.
CaseRecord ToCaseRecord(const KillCaseResult& result, const std::string& engine,
                        const std::string& variant, uint64_t seed, int64_t case_index);
CaseRecord ToCaseRecord(const TracedCaseResult& result, const std::string& engine,
                        const std::string& variant, uint64_t seed, int64_t case_index);

}  // namespace crashlab
