#include "framework/explore/block_states.h"

#include <fmt/format.h>

#include "faults/fast_digest.h"
#include "framework/base/prng.h"
#include "framework/case/block_case.h"
#include "framework/plan/plan_draws.h"

namespace crashlab {

BlockStateEnumerator::BlockStateEnumerator(const faults::BlockLog& log, faults::FileSystemKind fs,
                                           const ExploreOptions& o, std::string scratch_dir,
                                           StateEnumerator::Sink sink)
    : log_(log), fs_(fs), o_(o), scratch_dir_(std::move(scratch_dir)), sink_(std::move(sink)) {}

Status BlockStateEnumerator::Offer(uint64_t p, int context, faults::BlockCrashChoices fates) {
  Candidate candidate;
  candidate.crash = CrashKind::kPowerLoss;
  candidate.event = p;
  candidate.context = context;
  const faults::BlockPending pending = faults::PendingAt(log_, p);
  // Equal images give equal files: the durable prefix and what was applied
  // of the pending writes name the image.
  std::string key = std::to_string(pending.durable_end);
  for (std::size_t j = 0; j < fates.fates.size(); ++j) {
    if (fates.fates[j] != "-") key += fmt::format(" {}:{}", pending.records[j], fates.fates[j]);
  }
  std::optional<faults::DirTree> built;
  auto it = digest_of_image_.find(key);
  if (it == digest_of_image_.end()) {
    Result<faults::DirTree> tree = BlockCrashTree(fs_, log_, p, fates, scratch_dir_);
    if (!tree.ok()) return tree.status();
    ++mounted_;
    it = digest_of_image_.emplace(key, faults::FastDigest(*tree)).first;
    built = std::move(*tree);
  }
  candidate.block_fates = fates;
  // The explorer asks for the files only of a digest it has not seen: one
  // mounted just now, or (rarely) an equal image's whose files were dropped.
  return sink_(std::move(candidate), it->second, [&]() -> Result<faults::DirTree> {
    if (built) return std::move(*built);
    return BlockCrashTree(fs_, log_, p, fates, scratch_dir_);
  });
}

Status BlockStateEnumerator::Visit(uint64_t p, bool mine, int context) {
  const bool last = p == log_.records.size();
  if (!mine || (!last && log_.records[p].kind != faults::BlockRecordKind::kFlush)) {
    return Status::Ok();
  }
  const faults::BlockPending pending = faults::PendingAt(log_, p);
  const std::size_t n = pending.records.size();
  // Write j kept when bit j of `keep` is set; past the 64th, as `rest`.
  auto subset = [&](uint64_t keep, bool rest) {
    faults::BlockCrashChoices c;
    for (std::size_t j = 0; j < n; ++j) {
      c.fates.push_back((j < 64 ? (keep >> j & 1) != 0 : rest) ? "*" : "-");
    }
    return c;
  };
  if (n <= static_cast<std::size_t>(std::max(o_.subset_limit, 0))) {
    for (uint64_t keep = 0; keep < (uint64_t{1} << n); ++keep) {
      if (Status s = Offer(p, context, subset(keep, true)); !s.ok()) return s;
    }
  } else {
    // Each lost alone only among the first 64, and past them the seeded
    // subsets keep everything: coverage thins there, no state is invented.
    const uint64_t all = ~uint64_t{0};
    if (Status s = Offer(p, context, subset(all, true)); !s.ok()) return s;
    if (Status s = Offer(p, context, subset(0, false)); !s.ok()) return s;
    for (std::size_t j = 0; j < n && j < 64; ++j) {
      if (Status s = Offer(p, context, subset(all & ~(uint64_t{1} << j), true)); !s.ok()) {
        return s;
      }
    }
    Prng prng = ExploreSubsetDraws(o_.seed, p);
    for (int i = 0; i < o_.samples; ++i) {
      if (Status s = Offer(p, context, subset(prng.Next(), true)); !s.ok()) return s;
    }
  }
  // Tears, everything else kept: the writes of two sectors or more.
  std::vector<std::size_t> tearable;
  for (std::size_t j = 0; j < n; ++j) {
    const faults::BlockRecord& r = log_.records[pending.records[j]];
    if (r.kind == faults::BlockRecordKind::kWrite && r.length > log_.sector) tearable.push_back(j);
  }
  if (tearable.empty()) return Status::Ok();
  Prng prng = ExploreTearDraws(o_.seed, p);
  while (tearable.size() > static_cast<std::size_t>(std::max(o_.tear_writes, 0))) {
    tearable.erase(tearable.begin() + static_cast<std::ptrdiff_t>(prng.Below(tearable.size())));
  }
  auto sectors = [&](std::size_t j) {
    return (log_.records[pending.records[j]].length + log_.sector - 1) / log_.sector;
  };
  auto torn = [&](std::size_t j, std::string units) {
    faults::BlockCrashChoices c = subset(~uint64_t{0}, true);
    c.fates[j] = std::move(units);
    return Offer(p, context, std::move(c));
  };
  for (std::size_t j : tearable) {
    const uint64_t s = sectors(j);
    // The first sector alone on the disk, or every sector but the last.
    if (Status st = torn(j, "N" + std::string(s - 1, 'O')); !st.ok()) return st;
    if (s > 2) {
      if (Status st = torn(j, std::string(s - 1, 'N') + "O"); !st.ok()) return st;
    }
  }
  for (int i = 0; i < o_.tear_samples; ++i) {
    const std::size_t j = tearable[prng.Below(tearable.size())];
    std::string units(sectors(j), 'N');
    for (char& u : units) u = prng.Chance(1, 2) ? 'N' : 'O';
    if (units.find('O') == std::string::npos) units[prng.Below(units.size())] = 'O';
    if (units.find('N') == std::string::npos) units[prng.Below(units.size())] = 'N';
    if (Status st = torn(j, std::move(units)); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace crashlab
