// Crash states on disk: reads the directory a trace started from into a tree,
// writes a crash state's tree (persistence_model.h builds it in memory) to a
// directory for the verifier, names trees by digest, and says what a
// power-loss plan did. The rules are in persistence_model.h and
// docs/persistence-model.md.
//
// Crash point c: events [0, c) have completed; event c, if any, was in flight.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// Reads the regular files and directories under `dir` (symbolic links and
// other special files are an error). An absent `dir` reads as an empty tree.
Result<DirTree> ReadDirTree(const std::string& dir);

// A digest of `tree`'s names and bytes: "fd1:" and the 16 hex digits of
// FastDigest (fast_digest.h). Equal trees give equal digests, and different
// trees almost surely differ. Not a defence against crafted collisions; it
// names crash states in the results store so that a rerun can show it
// rebuilt the same directory. (Until November 2026 digests were 16 bare hex
// digits of FNV-1a, byte by byte: twenty times slower, the most expensive
// step of exploration. The prefix tells the two apart.)
std::string DigestDirTree(const DirTree& tree);
inline constexpr std::string_view kDigestScheme = "fd1:";
// DigestDirTree's form of a FastDigest value.
std::string DigestText(uint64_t fast_digest);

// Writes `tree` under `dir`, which is created and must be absent or empty.
[[nodiscard]] Status WriteDirTree(const DirTree& tree, const std::string& dir);

// What `plan` keeps, drops and tears — the report of the tree
// ModelPowerLoss builds from `base_dir` — for failure reports and replay
// logs.
Result<CrashReport> DescribePowerLoss(const Trace& trace, const PowerLossPlan& plan,
                                      const std::string& base_dir);

}  // namespace crashlab::faults
