#include "framework/cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "framework/base/shell_words.h"
#include "framework/store/junit.h"

namespace crashlab::cli {
namespace {

namespace fs = std::filesystem;

bool Executable(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, colon - start);
    if (access(((dir.empty() ? "." : dir) + "/" + program).c_str(), X_OK) == 0) return true;
    start = colon + 1;
  }
  return false;
}

}  // namespace

std::string DefaultEnginesDir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "engines";
  return (self.parent_path() / "engines").string();
}

std::string DefaultPreloadPath() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "faults/libcrashlab_preload.so";
  return (self.parent_path() / "faults" / "libcrashlab_preload.so").string();
}

std::string DefaultPtracePath() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "faults/crashlab-ptrace";
  return (self.parent_path() / "faults" / "crashlab-ptrace").string();
}

std::string DefaultBlockdevPath() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "faults/crashlab-blockdev";
  return (self.parent_path() / "faults" / "crashlab-blockdev").string();
}

void AddRecorderOptions(CLI::App& cmd, RecorderArgs& recorder) {
  cmd.add_option("--recorder", recorder.kind,
                 "How traced runs record the engine's I/O: preload (libcrashlab_preload.so, "
                 "cheapest), ptrace (any Linux binary: static, Go, stdio), auto, which picks "
                 "ptrace for static and Go programs, or block: power losses of the disk under a "
                 "real file system (--fs; root, FUSE and loop devices) (docs/recorders.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "preload", "ptrace", "block"}));
  cmd.add_option("--fs", recorder.fs,
                 "The block recorder's file system: ext4, xfs or btrfs, made by mkfs and mounted "
                 "from a loop device")
      ->capture_default_str()
      ->check(CLI::IsMember({"ext4", "xfs", "btrfs"}));
  cmd.add_option("--blockdev", recorder.blockdev,
                 "Path to crashlab-blockdev (the block recorder's disk); default the build's "
                 "faults/");
  cmd.add_option("--preload", recorder.preload,
                 "Path to libcrashlab_preload.so (the preload recorder); default the build's "
                 "faults/");
  cmd.add_option("--ptrace", recorder.ptrace,
                 "Path to crashlab-ptrace (the ptrace recorder); default the build's faults/");
}

Recorder RecorderOf(const RecorderArgs& args) {
  Recorder r;
  r.kind = RecorderFromName(args.kind).value_or(RecorderKind::kAuto);
  r.preload_path = args.preload.empty() ? DefaultPreloadPath() : args.preload;
  r.ptrace_path = args.ptrace.empty() ? DefaultPtracePath() : args.ptrace;
  r.blockdev_path = args.blockdev.empty() ? DefaultBlockdevPath() : args.blockdev;
  r.fs = faults::FileSystemFromName(args.fs).value_or(faults::FileSystemKind::kExt4);
  return r;
}

void TakeStoredRecorder(const std::string& command_line, RecorderArgs& args) {
  const std::string stored = FlagValue(command_line, "--recorder");
  if (args.kind == "auto" && RecorderFromName(stored)) args.kind = stored;
  const std::string fs = FlagValue(command_line, "--fs");
  if (args.fs == "ext4" && faults::FileSystemFromName(fs)) args.fs = fs;
}

bool SetPowerLossOptions(const std::string& profile, uint32_t atomic_unit,
                         const RecorderArgs& recorder, CampaignOptions& o) {
  Result<faults::Profile> parsed = faults::ParseProfile(profile);
  if (!parsed.ok()) {
    fmt::print(stderr, "crashlab: {}\n", parsed.status().message());
    return false;
  }
  o.profile = *parsed;
  o.atomic_unit = atomic_unit;
  o.recorder = RecorderOf(recorder);
  // A recorder the build lacks is said before any case (auto: the preload
  // library, which most engines get); whether ptrace is permitted here, and
  // whether auto's choice for a variant is built, the first case that needs
  // it finds out.
  const RecorderKind needed =
      o.recorder.kind == RecorderKind::kAuto ? RecorderKind::kPreload : o.recorder.kind;
  if (Status s = CheckRecorderBuilt(o.recorder, needed); !s.ok()) {
    fmt::print(stderr, "crashlab: {}\n", s.message());
    return false;
  }
  return true;
}

namespace {

// "i/n" with 0 <= i < n: the shard's index and count; false otherwise.
bool ParseShard(const std::string& text, int64_t& index, int64_t& count) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    std::size_t used_i = 0, used_n = 0;
    index = std::stoll(text.substr(0, slash), &used_i);
    count = std::stoll(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  return count >= 1 && count <= 1000000 && index >= 0 && index < count;
}

}  // namespace

void AddShardOption(CLI::App& cmd, std::string& shard) {
  cmd.add_option("--shard", shard,
                 "Run one shard of the campaign: i/n (0 <= i < n) runs the cases whose index is i "
                 "modulo n; `crashlab merge` joins the shards' databases")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            int64_t i = 0, n = 0;
            if (ParseShard(value, i, n)) return "";
            return "'" + value + "' is not a shard: give i/n with 0 <= i < n, e.g. 0/4";
          },
          "i/n"));
}

void SetShard(const std::string& shard, CampaignOptions& o) {
  o.shard_index = 0;
  o.shard_count = 1;
  if (!shard.empty()) ParseShard(shard, o.shard_index, o.shard_count);
}

std::string FlagValue(const std::string& command_line, const std::string& flag) {
  const std::vector<std::string> words = ShellSplit(command_line);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == flag && i + 1 < words.size()) return words[i + 1];
    if (words[i].rfind(flag + "=", 0) == 0) return words[i].substr(flag.size() + 1);
  }
  return "";
}

std::string StoredEngineArg(const StoredFailure& f, const std::string& engines_dir) {
  const std::string& line = f.campaign_command_line;
  std::string dir = FlagValue(line, "--engines-dir");
  if (dir.empty()) dir = engines_dir;
  const std::vector<std::string> words = ShellSplit(line);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string arg;
    if (words[i].rfind("--engine=", 0) == 0) arg = words[i].substr(9);
    if (words[i] == "--engine" && i + 1 < words.size()) arg = words[++i];
    if (arg.empty()) continue;
    // The first --engine was taken before: after a matrix or soak over
    // several engines, repro and shrink ran the wrong one.
    Result<EngineSpec> spec = FindEngine(arg, dir);
    if (spec.ok() && spec->name == f.c.engine) return arg;
  }
  return f.c.engine;
}

bool HasFlag(const std::string& command_line, const std::string& flag) {
  const std::vector<std::string> words = ShellSplit(command_line);
  return std::find(words.begin(), words.end(), flag) != words.end();
}

CLI::Option* AddFailureIdOption(CLI::App& cmd, int64_t& failure, const std::string& what) {
  return cmd.add_option("failure", failure, "The failure's id in --db (failures.id)" + what)
      ->check(CLI::Range(int64_t{1}, int64_t{INT64_MAX}));
}

std::optional<StoredFailure> LoadFailure(const std::string& db, int64_t failure_id) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    fmt::print(stderr, "crashlab: {} does not exist: pass the --db that holds failure {}\n", db,
               failure_id);
    return std::nullopt;
  }
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db, ExistingStore());
  if (!store.ok()) {
    fmt::print(stderr, "crashlab: {}\n", store.status().message());
    return std::nullopt;
  }
  Result<std::optional<StoredFailure>> found = (*store)->FindFailure(failure_id);
  if (!found.ok()) {
    fmt::print(stderr, "crashlab: {}\n", found.status().message());
    return std::nullopt;
  }
  if (!found->has_value()) {
    fmt::print(stderr,
               "crashlab: {} holds no failure {}: list them with crashlab failures --db {}\n", db,
               failure_id, db);
  }
  return std::move(*found);
}

void AddDeadlineOption(CLI::App& cmd, int64_t& deadline_ms) {
  cmd.add_option("--deadline-ms", deadline_ms,
                 "Deadline for each exchange with the engine; missing it is the `hang` verdict")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
}

void AddTracedCaseOptions(CLI::App& cmd, std::string* profile, uint32_t& atomic_unit,
                          RecorderArgs& recorder) {
  if (profile != nullptr) {
    cmd.add_option(
           "--profile", *profile,
           "Power loss: persistence profile, posix or ext4-ordered (docs/persistence-model.md)")
        ->capture_default_str();
  }
  cmd.add_option("--atomic-unit", atomic_unit,
                 "Power loss: bytes a device writes all or nothing; torn writes mix whole units")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
  AddRecorderOptions(cmd, recorder);
}

void AddTxnsOption(CLI::App& cmd, std::size_t& txns) {
  cmd.add_option("--txns", txns,
                 "Transactions per workload; 0 lets the seed draw 4 to 24 per case (a longer "
                 "workload starts with the same transactions)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{100000}));
}

void AddJUnitOption(CLI::App& cmd, std::string& junit) {
  cmd.add_option("--junit", junit,
                 "Also write the cases as JUnit XML to FILE (one test per case, a failure per "
                 "violation with its repro command), for CI systems");
}

bool WriteCampaignJUnit(const std::string& path, const std::vector<int64_t>& campaign_ids,
                        const std::string& db,
                        const std::function<std::string(const CaseRecord&)>& repro) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db);
  if (!store.ok()) {
    fmt::print(stderr, "crashlab: writing the JUnit report: {}\n", store.status().message());
    return false;
  }
  std::vector<CaseRecord> cases;
  for (int64_t id : campaign_ids) {
    Result<std::vector<CaseRecord>> some = (*store)->CasesOfCampaign(id);
    if (!some.ok()) {
      fmt::print(stderr, "crashlab: writing the JUnit report: {}\n", some.status().message());
      return false;
    }
    cases.insert(cases.end(), some->begin(), some->end());
  }
  Status s = WriteJUnit(path, cases, repro);
  if (!s.ok()) {
    fmt::print(stderr, "crashlab: {}\n", s.message());
    return false;
  }
  fmt::print("JUnit report: {} ({} cases)\n", path, cases.size());
  return true;
}

CLI::Validator CrashKindsValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (ParseCrashKinds(value)) return "";
        return "'" + value + "' is not a crash kind: use kill, power-loss or kill,power-loss";
      },
      "KIND[,KIND]");
}

std::optional<std::vector<CrashKind>> CrashKindsArg(const std::string& value) {
  std::optional<std::vector<CrashKind>> kinds = ParseCrashKinds(value);
  if (!kinds) {
    fmt::print(stderr,
               "crashlab: --crash {}: not a crash kind; use kill, power-loss or kill,power-loss\n",
               value);
  }
  return kinds;
}

void AddEnginesDirOption(CLI::App& cmd, std::string& engines_dir) {
  engines_dir = DefaultEnginesDir();
  cmd.add_option("--engines-dir", engines_dir,
                 "Directory holding <engine>/variants.ini for each bundled engine")
      ->capture_default_str();
}

CLI::Option* AddSeedOption(CLI::App& cmd, uint64_t& seed) {
  return cmd.add_option("--seed", seed, "Campaign seed, 0..9223372036854775807")
      ->required()
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}));
}

bool ChooseVariants(const std::string& engine_arg, const std::string& engines_dir,
                    const std::vector<std::string>& requested, EngineSpec& engine,
                    std::vector<std::string>& variants) {
  Result<EngineSpec> found = FindEngine(engine_arg, engines_dir);
  if (!found.ok()) {
    fmt::print(stderr, "crashlab: {}\n", found.status().message());
    return false;
  }
  engine = std::move(found.value());
  variants.clear();
  if (requested.empty()) {
    for (const VariantSpec& v : engine.variants) variants.push_back(v.name);
  }
  for (const std::string& name : requested) {
    if (std::find(variants.begin(), variants.end(), name) != variants.end()) continue;
    if (engine.Find(name) == nullptr) {
      fmt::print(stderr, "crashlab: engine {} has no variant '{}'; its variants are: {} ({})\n",
                 engine.name, name, engine.VariantNames(), engine.variants_path);
      return false;
    }
    variants.push_back(name);
  }
  for (const std::string& name : variants) {
    const VariantSpec& v = *engine.Find(name);
    if (v.argv.empty() || !Executable(v.argv[0])) {
      fmt::print(stderr,
                 "crashlab: engine {} variant {}: program '{}' is not an executable file; build "
                 "it (cmake --build) or fix its command in {}\n",
                 engine.name, name, v.argv.empty() ? "" : v.argv[0], engine.variants_path);
      return false;
    }
  }
  return true;
}

std::string CommandLine(int argc, char** argv) {
  // Quoted, so that FlagValue gets a path with spaces back whole and the
  // line, shown, pastes into a shell.
  return ShellLine(std::vector<std::string>(argv, argv + argc));
}

}  // namespace crashlab::cli
