// Helpers shared by the subcommands: where the bundled engines are, how an
// engine and its variants are chosen, and the exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "framework/campaign/campaign.h"
#include "framework/engine/variants_file.h"

namespace crashlab::cli {

inline constexpr int kExitHeld = 0;        // every contract held
inline constexpr int kExitViolations = 1;  // at least one violation
inline constexpr int kExitUsage = 2;       // usage or setup error

// <directory of the crashlab executable>/engines, where the build puts them.
std::string DefaultEnginesDir();

// <directory of the crashlab executable>/faults/libcrashlab_preload.so.
std::string DefaultPreloadPath();

// <directory of the crashlab executable>/faults/crashlab-ptrace.
std::string DefaultPtracePath();

// <directory of the crashlab executable>/faults/crashlab-blockdev.
std::string DefaultBlockdevPath();

// The recorder options of the commands that trace (--recorder, --preload,
// --ptrace, --blockdev, --fs), as given.
struct RecorderArgs {
  std::string kind = "auto";
  std::string preload;      // "": DefaultPreloadPath()
  std::string ptrace;       // "": DefaultPtracePath()
  std::string blockdev;     // "": DefaultBlockdevPath()
  std::string fs = "ext4";  // the block recorder's file system
};
void AddRecorderOptions(CLI::App& cmd, RecorderArgs& recorder);
// The recorder `args` ask for, paths filled in with the defaults.
Recorder RecorderOf(const RecorderArgs& args);
// For a rerun of a stored failure: the campaign's --recorder, from its
// command line as recorded, unless `args` name one other than auto.
void TakeStoredRecorder(const std::string& command_line, RecorderArgs& args);

// Sets the options of traced cases (power loss, live mode) in `o` from the
// CLI's --profile, --atomic-unit and recorder options. On a bad profile
// prints what is wrong and how to fix it and returns false. (A missing or
// unusable recorder is reported by the first traced case that needs it.)
bool SetPowerLossOptions(const std::string& profile, uint32_t atomic_unit,
                         const RecorderArgs& recorder, CampaignOptions& o);

// Adds --shard i/n (0 <= i < n): run only the cases whose index is i modulo n.
void AddShardOption(CLI::App& cmd, std::string& shard);
// Sets o.shard_index and o.shard_count from a --shard value ("" = whole).
void SetShard(const std::string& shard, CampaignOptions& o);

// Adds --deadline-ms (1 ms to 1 hour): the deadline of each exchange with an
// engine, missing which is the `hang` verdict.
void AddDeadlineOption(CLI::App& cmd, int64_t& deadline_ms);

// Adds --atomic-unit, the recorder options, and --profile unless `profile`
// is null: the options of traced (power-loss and live) cases.
void AddTracedCaseOptions(CLI::App& cmd, std::string* profile, uint32_t& atomic_unit,
                          RecorderArgs& recorder);

// Adds --txns N: transactions per workload; 0 (the default) lets the seed
// draw 4 to 24.
void AddTxnsOption(CLI::App& cmd, std::size_t& txns);

// Adds --junit FILE: a JUnit XML report of the cases, for CI systems.
void AddJUnitOption(CLI::App& cmd, std::string& junit);
// Writes the cases of `campaign_ids` from the database at `db` to `path` as
// JUnit XML, each violation with `repro(case)`. On error prints it and
// returns false.
bool WriteCampaignJUnit(const std::string& path, const std::vector<int64_t>& campaign_ids,
                        const std::string& db,
                        const std::function<std::string(const CaseRecord&)>& repro);

// Failure `failure_id` from the results database at `db`. When the file,
// the database or the failure is not there, prints what is wrong and how to
// find the right one, and returns nothing.
// The positional FAILURE-ID of repro, shrink and explain (failures.id).
CLI::Option* AddFailureIdOption(CLI::App& cmd, int64_t& failure, const std::string& what);

std::optional<StoredFailure> LoadFailure(const std::string& db, int64_t failure_id);

// The value after `flag` in a campaign's command line as recorded ("" if
// absent): the options a case's rerun needs that the case row does not keep.
std::string FlagValue(const std::string& command_line, const std::string& flag);
// The --engine argument for failure `f`: of the --engine values on its
// campaign's command line (matrix and soak take several), the one whose
// engine (found with the line's --engines-dir, else `engines_dir`) is the
// failure's own, f.c.engine; else that name, looked up in the engines dir.
std::string StoredEngineArg(const StoredFailure& f, const std::string& engines_dir);
bool HasFlag(const std::string& command_line, const std::string& flag);

// Checks --crash: kill, power-loss, or both comma-separated.
CLI::Validator CrashKindsValidator();
// --crash as the crash kinds it names. The validator has checked it, but
// the parse is checked again here rather than trusted: on a word outside
// the vocabulary it prints the usage error and returns nullopt.
std::optional<std::vector<CrashKind>> CrashKindsArg(const std::string& value);

// Adds --engines-dir to `cmd`, defaulting to DefaultEnginesDir().
void AddEnginesDirOption(CLI::App& cmd, std::string& engines_dir);

// Adds --seed, accepting 0..2^63-1 (seeds are stored as SQLite integers).
CLI::Option* AddSeedOption(CLI::App& cmd, uint64_t& seed);

// Finds the engine and checks the requested variants (all when `requested` is
// empty) and that each variant's program can be executed. On error prints
// what is wrong and how to fix it to stderr and returns false.
bool ChooseVariants(const std::string& engine_arg, const std::string& engines_dir,
                    const std::vector<std::string>& requested, EngineSpec& engine,
                    std::vector<std::string>& variants);

// The whole command line, each word shell-quoted when it needs it
// (ShellLine), for the results database: FlagValue reads it back.
std::string CommandLine(int argc, char** argv);

// Subcommands: each registers itself and sets `exit_code` when it runs.
void AddEnginesCommand(CLI::App& app, int& exit_code);
void AddRunCommand(CLI::App& app, int& exit_code, const std::string& command_line);
void AddReproCommand(CLI::App& app, int& exit_code);
void AddMergeCommand(CLI::App& app, int& exit_code);
void AddMatrixCommand(CLI::App& app, int& exit_code, const std::string& command_line);
void AddSoakCommand(CLI::App& app, int& exit_code, const std::string& command_line);
void AddWorkloadCommand(CLI::App& app, int& exit_code);
void AddExplainCommand(CLI::App& app, int& exit_code);
void AddFailuresCommand(CLI::App& app, int& exit_code);
void AddReportCommand(CLI::App& app, int& exit_code);
void AddShrinkCommand(CLI::App& app, int& exit_code, const std::string& command_line);
void AddExploreCommand(CLI::App& app, int& exit_code, const std::string& command_line);
void AddBenchCommand(CLI::App& app, int& exit_code);
void AddProbeCommand(CLI::App& app, int& exit_code);
void AddTraceCommand(CLI::App& app, int& exit_code);

}  // namespace crashlab::cli
