// crashlab merge: joins results databases (the shards of a campaign, or runs
// on several machines) into one.
#include <filesystem>

#include <fmt/format.h>

#include "framework/cli/common.h"

namespace crashlab::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;
};

int Merge(const MergeArgs& a) {
  for (const std::string& input : a.inputs) {
    if (input == a.output) {
      fmt::print(stderr,
                 "crashlab: {} is both an input and the output; pass another -o, or leave it "
                 "out of the inputs (merging adds to an existing output)\n",
                 input);
      return kExitUsage;
    }
  }
  std::error_code ec;
  const bool output_existed = std::filesystem::exists(a.output, ec);
  Result<std::unique_ptr<ResultsStore>> out = ResultsStore::Open(a.output);
  if (!out.ok()) {
    fmt::print(stderr, "crashlab: {}\n", out.status().message());
    return kExitUsage;
  }
  ResultsStore::MergeStats total;
  for (std::size_t i = 0; i < a.inputs.size(); ++i) {
    const std::string& input = a.inputs[i];
    Result<ResultsStore::MergeStats> s = (*out)->MergeFrom(input);
    if (!s.ok() && i == 0 && !output_existed) {
      // Refused before anything was merged: no empty output is left behind.
      out->reset();
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(a.output + suffix, ec);
      }
      fmt::print(stderr, "crashlab: {}\n(nothing was merged; {} was not created)\n",
                 s.status().message(), a.output);
      return kExitUsage;
    }
    if (!s.ok()) {
      fmt::print(stderr, "crashlab: {}\n(the inputs before it are merged into {})\n",
                 s.status().message(), a.output);
      return kExitUsage;
    }
    fmt::print("{}: {} campaign(s), {} case(s), {} failure(s), {} matrix(es){}\n", input,
               s->campaigns, s->cases, s->failures, s->matrices,
               s->skipped_campaigns > 0 ? fmt::format("; {} campaign(s) already in {} skipped",
                                                      s->skipped_campaigns, a.output)
                                        : "");
    total.campaigns += s->campaigns;
    total.cases += s->cases;
  }
  fmt::print("merged {} campaign(s), {} case(s) into {}\n", total.campaigns, total.cases, a.output);
  return kExitHeld;
}

}  // namespace

void AddMergeCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Copy the campaigns, cases and failures of results databases into one (for example the "
      "shards of a campaign run with --shard i/n); inputs are only read");
  cmd->add_option("inputs", a->inputs, "Results databases to merge")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", a->output,
                  "The merged database: created, or added to when it exists")
      ->required();
  cmd->callback([a, &exit_code] { exit_code = Merge(*a); });
}

}  // namespace crashlab::cli
