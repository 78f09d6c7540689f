// Internal to the soak's .cc files: what a soak sets up before its first
// case - its row in the database, its campaigns, the slots that take turns
// and, on a resume, what the earlier runs recorded (soak_setup.cc; the
// resume's steps in soak_resume.cc). Not part of crashlab's interface;
// soak.h says what a soak is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "framework/base/status.h"
#include "framework/campaign/campaign.h"
#include "framework/campaign/soak.h"
#include "framework/store/results_store.h"

namespace crashlab::soak_internal {

// One campaign of the soak: an engine, all its variants, one workload shape.
struct Campaign {
  int64_t id = 0;
  std::string shape;
  CampaignOptions options;
};

struct Slot {
  std::size_t campaign = 0;  // index into the campaigns
  const VariantSpec* variant = nullptr;
  std::vector<std::string> points;  // the engine's named points (ProbeEngine)
  std::size_t first_tally = 0;      // tallies[first_tally + k] is for crashes[k]
  int64_t next_index = 0;
  std::filesystem::path dir;  // <workdir>/<engine>/<shape>/<variant>
};

// What the steps of one run of the controller share.
struct SoakRun {
  SoakRun(const SoakOptions& soak_options, ResultsStore& results_store)
      : options(soak_options), store(results_store) {}

  const SoakOptions& options;
  ResultsStore& store;
  SoakSummary summary;
  std::optional<StoredSoak> resumed;  // set on a resume: the soak as recorded
  std::vector<Campaign> campaigns;    // engine by engine, shape by shape
  std::string workdir;                // absolute
  // Engine by engine, variant by variant, shape by shape; each variant's
  // tallies follow the same order, one per crash kind.
  std::vector<Slot> slots;
};

// Opens the soak's row: a new one, or with options.resume the most recent
// unfinished soak, which must have these settings and no live controller.
// Sets summary.soak_id, and on a resume `resumed` and summary.elapsed.
// Errors leave nothing to mark interrupted: the database, nothing to resume,
// other settings, a controller still running.
[[nodiscard]] Status OpenSoakRow(SoakRun& run);

// The work directory of a soak run without --workdir: one under $TMPDIR
// named after the database's absolute path and the soak's id, so that a
// resume goes on in the one its killed predecessor left (its case in
// flight, its failing cases) instead of leaving it behind. A new soak
// removes one a soak of an earlier database at that path left. Call after
// OpenSoakRow. Errors: the directory cannot be made.
[[nodiscard]] Result<std::string> SoakTemporaryWorkdir(const SoakRun& run);

// Marks the soak and the campaigns set up so far interrupted (ignoring
// errors in doing so: `why` is what the user needs) and returns `why`.
Status FailSoak(SoakRun& run, const Status& why);

// Prepares the work directory, creates (or, on a resume, finds) one campaign
// per engine and shape, and builds the slots and tallies, probing each
// variant once. Errors (the caller then calls FailSoak): the work directory,
// the database, an engine that cannot be started, a resumed soak without a
// campaign for an engine and shape.
[[nodiscard]] Status SetUpSoak(SoakRun& run);

// On a resume, what earlier runs recorded: the tallies and totals, and each
// slot's next case index and count in `rotation`. Errors: the database.
[[nodiscard]] Status RestoreResumedCounts(SoakRun& run, SoakRotation& rotation);

}  // namespace crashlab::soak_internal
