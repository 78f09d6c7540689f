// Fast 64-bit digests of crash states, for finding identical ones among
// thousands during exploration: a tree's digest combines its directory names
// and, per file, its path and ContentDigest. Not cryptographic; the stored,
// stable digest of a state is DigestDirTree's (crash_state.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "faults/persistence_model.h"

namespace crashlab::faults {

// A digest of `bytes`, at several bytes a cycle (four independent lanes).
uint64_t ContentDigest(std::string_view bytes);

// Builds a tree digest from its parts, in the tree's order: every directory
// (sorted), then every file (sorted by path) with its ContentDigest.
class TreeDigest {
 public:
  void AddDir(std::string_view path);
  void AddFile(std::string_view path, uint64_t content_digest);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x243F6A8885A308D3ULL;
};

uint64_t FastDigest(const DirTree& tree);

}  // namespace crashlab::faults
