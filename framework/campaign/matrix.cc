#include "framework/campaign/matrix.h"

#include <fmt/format.h>

namespace crashlab {
namespace {

int64_t AllowedLosses(const VariantTally& t) {
  int64_t losses = 0;
  for (const auto& [verdict, count] : t.verdicts) {
    if (Violates(verdict, Contract::kDurable) && !Violates(verdict, t.contract)) losses += count;
  }
  return losses;
}

std::string Verdicts(const VariantTally& t) {
  std::string text;
  for (const auto& [verdict, count] : t.verdicts) {
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", Name(verdict), count);
  }
  return text;
}

}  // namespace

Result<MatrixSummary> RunMatrix(const MatrixOptions& o, std::FILE* out) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o.base.db_path);
  if (!store.ok()) return store.status();
  Result<int64_t> matrix = (*store)->BeginMatrix(o.command_line, o.base.seed, o.cases_per_cell);
  if (!matrix.ok()) return matrix.status();
  MatrixSummary summary;
  summary.matrix_id = *matrix;
  fmt::print(out, "matrix {}: {} engine(s), kill and power-loss, {} cases per cell, seed {}\n",
             summary.matrix_id, o.engines.size(), o.cases_per_cell, o.base.seed);
  for (const MatrixEngine& engine : o.engines) {
    CampaignOptions c = o.base;
    c.engine = engine.spec;
    c.engine_arg = engine.arg;
    c.variants.clear();
    for (const VariantSpec& v : engine.spec.variants) c.variants.push_back(v.name);
    c.crashes = {CrashKind::kKill, CrashKind::kPowerLoss};
    c.cases = 2 * o.cases_per_cell;  // mixed: cases_per_cell of each kind (CrashOfCase)
    if (!o.base.workdir.empty()) c.workdir = o.base.workdir + "/" + engine.spec.name;
    c.command_line = o.command_line;
    c.matrix_id = summary.matrix_id;
    Result<CampaignSummary> campaign = RunCampaign(c, out);
    if (!campaign.ok()) {
      (void)(*store)->FinishMatrix(summary.matrix_id, "interrupted");
      return campaign.status();
    }
    for (const VariantTally& tally : campaign->tallies) {
      summary.cells.push_back({engine.spec.name, tally, AllowedLosses(tally)});
    }
    summary.violations += campaign->violations;
    summary.campaign_ids.push_back(campaign->campaign_id);
    if (!campaign->workdir.empty()) summary.kept_workdirs.push_back(campaign->workdir);
  }
  if (Status s = (*store)->FinishMatrix(summary.matrix_id, "finished"); !s.ok()) return s;
  return summary;
}

std::string FormatMatrix(const MatrixSummary& m) {
  std::string table = fmt::format("{:<12} {:<28} {:<11} {:<8} {:>6}  {:<44} {}\n", "engine",
                                  "variant", "crash", "contract", "cases", "verdicts", "contract");
  std::string unseen;
  for (const MatrixCell& cell : m.cells) {
    const VariantTally& t = cell.tally;
    std::string held = t.violations == 0 ? "held" : fmt::format("VIOLATED {}x", t.violations);
    if (cell.unsafe_but_clean()) {
      held += ", but no loss seen (*)";
      unseen += fmt::format("  {}/{} under {}\n", cell.engine, t.variant, Name(t.crash));
    }
    table += fmt::format("{:<12} {:<28} {:<11} {:<8} {:>6}  {:<44} {}\n", cell.engine, t.variant,
                         Name(t.crash), Name(t.contract), t.cases, Verdicts(t), held);
  }
  if (!unseen.empty()) {
    table += fmt::format(
        "\n(*) The documentation allows these to lose or corrupt data, yet no case did:\n{}"
        "Either crashlab is not looking hard enough (more cases, another --profile or "
        "--atomic-unit, a workload that reaches the unsafe path) or the documentation is "
        "pessimistic for this platform. Find out which before trusting either.\n",
        unseen);
  }
  return table;
}

}  // namespace crashlab
