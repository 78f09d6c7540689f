// crashlab workload: prints the requests a case sends and where it crashes,
// exactly as `run` would send them, without starting an engine.
#include <fmt/format.h>

#include "framework/cli/common.h"
#include "framework/plan/plan_draws.h"
#include "framework/plan/workload.h"

namespace crashlab::cli {

void AddWorkloadCommand(CLI::App& app, int& exit_code) {
  struct Args {
    uint64_t seed = 0;
    int64_t case_index = 0;
    std::size_t txns = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "workload",
      "Print the transactions and the kill plan of one case, byte for byte as `run` "
      "sends them (keys and values percent-encoded)");
  AddSeedOption(*cmd, a->seed);
  cmd->add_option("--case", a->case_index, "Case index within the campaign")
      ->required()
      ->check(CLI::Range(int64_t{0}, int64_t{INT64_MAX}));
  AddTxnsOption(*cmd, a->txns);
  cmd->callback([a, &exit_code] {
    const uint64_t index = static_cast<uint64_t>(a->case_index);
    const Workload w = GenerateWorkload(a->seed, index, a->txns);
    fmt::print("# seed {} case {}: {} transactions; {}\n", a->seed, a->case_index, w.txns.size(),
               PlanKill(a->seed, index, w.txns.size()).ToString());
    fmt::print("{}", WorkloadText(w));
    exit_code = kExitHeld;
  });
}

}  // namespace crashlab::cli
