// crashlab failures: the failures a results database holds, with the ids
// that repro, shrink and explain take.
#include <fmt/format.h>

#include "framework/cli/common.h"
#include "framework/store/results_store.h"
#include "framework/store/signature.h"

namespace crashlab::cli {

void AddFailuresCommand(CLI::App& app, int& exit_code) {
  struct Args {
    std::string db = "crashlab.db";
    int64_t campaign = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "failures",
      "List the failures in a results database: id (for repro, shrink and explain), campaign, "
      "engine/variant, crash kind, verdict, transactions sent, what it was shrunk from, plan, "
      "and below each its signature (verdict and masked cause: what shrink keeps)");
  cmd->add_option("--db", a->db, "Results database")->capture_default_str();
  cmd->add_option("--campaign", a->campaign, "Only this campaign's failures")
      ->check(CLI::Range(int64_t{1}, int64_t{INT64_MAX}));
  cmd->callback([a, &exit_code] {
    std::error_code ec;
    if (!std::filesystem::exists(a->db, ec)) {
      fmt::print(stderr, "crashlab: {} does not exist: pass the --db a campaign wrote\n", a->db);
      exit_code = kExitUsage;
      return;
    }
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(a->db, ExistingStore());
    Result<std::vector<CaseRecord>> failures =
        store.ok() ? (*store)->Failures(a->campaign)
                   : Result<std::vector<CaseRecord>>(store.status());
    if (!failures.ok()) {
      fmt::print(stderr, "crashlab: {}\n", failures.status().message());
      exit_code = kExitUsage;
      return;
    }
    fmt::print("{:>6} {:>8}  {:<40} {:<10} {:<15} {:>5} {:>7}  {}\n", "id", "campaign",
               "engine/variant", "crash", "verdict", "sent", "shrunk", "plan");
    for (const CaseRecord& c : *failures) {
      fmt::print(
          "{:>6} {:>8}  {:<40} {:<10} {:<15} {:>5} {:>7}  {}\n", c.failure->id, c.campaign_id,
          c.engine + "/" + c.variant, Name(c.crash_kind), Name(c.verdict), c.txns_sent,
          c.failure->shrunk_from != 0 ? "from " + std::to_string(c.failure->shrunk_from) : "",
          c.crash_plan);
      fmt::print("{:>16}signature: {}\n", "", SignatureOf(c).Text());
    }
    fmt::print("{} failure(s) in {}\n", failures->size(), a->db);
    exit_code = kExitHeld;
  });
}

}  // namespace crashlab::cli
