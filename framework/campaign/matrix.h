// The contract matrix (crashlab matrix): every variant of each chosen engine
// under both crash kinds, one campaign per engine (kill and power-loss cases
// mixed, half of each), summed up as one table of variant x crash kind -> cases, verdict
// counts and whether the contract held. The results store keeps the matrix
// and its campaigns; the view matrix_cells is the same table in SQL.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "framework/campaign/campaign.h"

namespace crashlab {

struct MatrixEngine {
  std::string arg;  // --engine as typed, for repro commands
  EngineSpec spec;
};

struct MatrixOptions {
  std::vector<MatrixEngine> engines;
  // Everything a campaign needs but the engine, its variants, the case count
  // and the crash kinds: seed, db_path, workdir (each engine gets a
  // subdirectory), deadline, profile, atomic unit, preload, live, keep_cases.
  CampaignOptions base;
  int64_t cases_per_cell = 0;
  std::string command_line;
};

struct MatrixCell {
  std::string engine;
  VariantTally tally;
  // Cases whose verdict the contract allows but `durable` would not: the
  // losses the documentation warns about, seen happening.
  int64_t allowed_losses = 0;
  // The documentation allows losses here (contract weaker than durable), yet
  // no case lost anything: crashlab did not look hard enough, or the
  // documentation is pessimistic. Said plainly in the table.
  bool unsafe_but_clean() const {
    return tally.contract != Contract::kDurable && tally.violations == 0 && allowed_losses == 0;
  }
};

struct MatrixSummary {
  int64_t matrix_id = 0;
  std::vector<MatrixCell> cells;
  int64_t violations = 0;
  std::vector<std::string> kept_workdirs;  // where failing cases remain
  std::vector<int64_t> campaign_ids;       // one per engine, in order
};

// Runs the matrix, printing each campaign's progress to `out`. Errors are
// setup failures (see RunCampaign); the matrix is then marked interrupted.
[[nodiscard]] Result<MatrixSummary> RunMatrix(const MatrixOptions& options, std::FILE* out);

// The table, one line per cell, with a closing paragraph on the cells whose
// documentation allows losses that were never seen.
std::string FormatMatrix(const MatrixSummary& summary);

}  // namespace crashlab
