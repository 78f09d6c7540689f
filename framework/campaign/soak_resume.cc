// The soak's resume (crashlab soak --resume): which soak to continue, and
// what its earlier runs recorded. Declared in soak_setup.h.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "faults/block/file_system.h"
#include "faults/fast_digest.h"
#include "framework/campaign/soak_setup.h"

namespace crashlab::soak_internal {
namespace {

using std::chrono::milliseconds;

// Whether `pid` on this host is a crashlab soak still running.
bool SoakControllerAlive(const StoredSoak& soak) {
  if (soak.host != Hostname() || soak.pid <= 0 || soak.pid == getpid()) return false;
  if (kill(static_cast<pid_t>(soak.pid), 0) != 0 && errno != EPERM) return false;
  std::ifstream in(fmt::format("/proc/{}/cmdline", soak.pid), std::ios::binary);
  std::stringstream cmdline;
  cmdline << in.rdbuf();
  return cmdline.str().find(std::string("soak") + '\0') != std::string::npos;
}

// "key value" lines into a map, for naming what differs.
std::map<std::string, std::string> SettingsMap(const std::string& settings) {
  std::map<std::string, std::string> map;
  std::istringstream in(settings);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t space = line.find(' ');
    map[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return map;
}

std::string SettingsDifference(const std::string& before, const std::string& now) {
  const auto a = SettingsMap(before), b = SettingsMap(now);
  std::string text;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    const std::string other = it == b.end() ? "(none)" : it->second;
    if (other != value) text += fmt::format("\n  {}: was {}, now {}", key, value, other);
  }
  for (const auto& [key, value] : b) {
    if (!a.contains(key)) text += fmt::format("\n  {}: was (none), now {}", key, value);
  }
  return text;
}

// The most recent unfinished soak in the database, if it may be resumed with
// `settings`: the same settings, and its controller no longer running.
Result<StoredSoak> FindSoakToResume(ResultsStore& store, const SoakOptions& o,
                                    const std::string& settings) {
  Result<std::optional<StoredSoak>> latest = store.LatestUnfinishedSoak();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return Status::Error("--resume: " + o.base.db_path +
                         " holds no unfinished soak; drop --resume to start a new one");
  }
  StoredSoak resumed = std::move(**latest);
  if (resumed.settings != settings) {
    return Status::Error(fmt::format(
        "--resume: soak {} in {} ran with other settings; resume it with its own command "
        "line plus --resume:\n  {}\nWhat differs:{}",
        resumed.id, o.base.db_path, resumed.command_line,
        SettingsDifference(resumed.settings, settings)));
  }
  if (SoakControllerAlive(resumed)) {
    return Status::Error(fmt::format(
        "--resume: soak {} is still running in process {}; wait for it or stop it first",
        resumed.id, resumed.pid));
  }
  return resumed;
}

// Counts the recorded cases `g` into `slot`: its next case index, its
// tallies and the soak's totals.
void CountRecordedCases(SoakRun& run, Slot& slot, const CaseGroup& g) {
  const SoakOptions& o = run.options;
  slot.next_index = std::max(slot.next_index, g.max_case_index + o.base.shard_count);
  for (std::size_t k = 0; k < o.base.crashes.size(); ++k) {
    if (o.base.crashes[k] != g.crash_kind) continue;
    VariantTally& t = run.summary.tallies[slot.first_tally + k];
    t.cases += g.cases;
    t.violations += g.violations;
    t.verdicts[g.verdict] += g.cases;
  }
  run.summary.cases += g.cases;
  run.summary.violations += g.violations;
}

// Removes the directories of a slot's cases that no run recorded: the case
// a killed controller had in flight. Its rerun would remove it too, but only
// if the rotation comes back to this slot before the budget ends; on a slow
// machine it may not, and the directory stayed behind for good. Recorded
// failing cases have lower indexes and stay.
void RemoveUnrecordedCases(const Slot& slot) {
  namespace fs = std::filesystem;
  constexpr std::string_view kPrefix = "case-";
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(slot.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    int64_t index = 0;
    const char* end = name.data() + name.size();
    const auto [ptr, err] = std::from_chars(name.data() + kPrefix.size(), end, index);
    if (err != std::errc() || ptr != end || index < slot.next_index) continue;
    std::error_code remove_ec;
    faults::UnmountEverythingUnder(entry.path().string());
    fs::remove_all(entry.path(), remove_ec);
  }
}

}  // namespace

Status OpenSoakRow(SoakRun& run) {
  const SoakOptions& o = run.options;
  const std::string settings = SoakSettings(o);
  if (!o.resume) {
    Result<int64_t> id =
        run.store.BeginSoak({o.command_line, settings, o.base.seed, o.duration.count()});
    if (!id.ok()) return id.status();
    run.summary.soak_id = *id;
    return Status::Ok();
  }
  Result<StoredSoak> resumed = FindSoakToResume(run.store, o, settings);
  if (!resumed.ok()) return resumed.status();
  if (Status s = run.store.ReopenSoak(resumed->id); !s.ok()) return s;
  run.summary.soak_id = resumed->id;
  run.summary.elapsed = milliseconds(resumed->elapsed_ms);
  run.resumed = std::move(*resumed);
  return Status::Ok();
}

Result<std::string> SoakTemporaryWorkdir(const SoakRun& run) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path db = fs::absolute(run.options.base.db_path, ec).lexically_normal();
  // A fresh mkdtemp name per run left the killed predecessor's directory in
  // $TMPDIR for good: nothing recorded where it was.
  const fs::path dir =
      fs::temp_directory_path(ec) / fmt::format("crashlab-soak-{}-{:016x}", run.summary.soak_id,
                                                faults::ContentDigest(db.string()));
  if (!run.resumed) fs::remove_all(dir, ec);  // a soak of an earlier database at this path
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return Status::Error("cannot create the soak's work directory " + dir.string() + ": " +
                         ec.message() + "; set TMPDIR to a writable directory or pass --workdir");
  }
  return dir.string();
}

Status RestoreResumedCounts(SoakRun& run, SoakRotation& rotation) {
  Result<std::vector<CaseGroup>> groups = run.store.CaseGroupsOfSoak(run.summary.soak_id);
  if (!groups.ok()) return groups.status();
  for (const CaseGroup& g : *groups) {
    for (Slot& slot : run.slots) {
      if (run.campaigns[slot.campaign].id != g.campaign_id || slot.variant->name != g.variant) {
        continue;
      }
      CountRecordedCases(run, slot, g);
    }
  }
  // Recorded cases of a slot have no gaps (each resume reruns the case in
  // flight), so its count follows from its next index.
  const CampaignOptions& base = run.options.base;
  for (std::size_t s = 0; s < run.slots.size(); ++s) {
    rotation.SetCases(s, (run.slots[s].next_index - base.shard_index) / base.shard_count);
    RemoveUnrecordedCases(run.slots[s]);
  }
  return Status::Ok();
}

}  // namespace crashlab::soak_internal
