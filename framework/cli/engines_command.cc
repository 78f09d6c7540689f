// crashlab engines: lists every engine, its variants and their contracts.
#include <fmt/format.h>

#include "framework/cli/common.h"

namespace crashlab::cli {

void AddEnginesCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "engines",
      "List the bundled engines, their variants and each variant's contract per crash kind");
  auto engines_dir = std::make_shared<std::string>();
  AddEnginesDirOption(*cmd, *engines_dir);
  cmd->callback([engines_dir, &exit_code] {
    Result<std::vector<EngineSpec>> engines = ListEngines(*engines_dir);
    if (!engines.ok()) {
      fmt::print(stderr, "crashlab: {}\n", engines.status().message());
      exit_code = kExitUsage;
      return;
    }
    if (engines->empty()) {
      fmt::print(stderr, "crashlab: no engines in {}; build crashlab first or pass --engines-dir\n",
                 *engines_dir);
      exit_code = kExitUsage;
      return;
    }
    for (const EngineSpec& e : *engines) {
      fmt::print("{}  {}\n  ({})\n", e.name, e.description, e.variants_path);
      fmt::print("  {:<20} {:<8} {:<10}  {}\n", "variant", "kill", "power-loss", "description");
      for (const VariantSpec& v : e.variants) {
        fmt::print("  {:<20} {:<8} {:<10}  {}\n", v.name, Name(v.kill), Name(v.power_loss),
                   v.description);
      }
      fmt::print("\n");
    }
  });
}

}  // namespace crashlab::cli
