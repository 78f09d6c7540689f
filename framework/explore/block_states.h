// The crash states exploration offers at each point of a block log
// (faults/block/block_crash.h), mounted by the kernel to be judged as files.
// A state possible at point p is possible at every later point before the
// next flush too (the writes after p lost), where the controller knew as
// much or more: so only the point just before each flush, and the end, are
// visited, each with every subset of its pending writes when they are few;
// beyond that all kept, none kept, each one lost alone and seeded subsets;
// and with everything kept, each pending write of two sectors or more torn
// (its first sector alone on the disk, or all but its last) and seeded
// tears.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "faults/block/block_crash.h"
#include "faults/block/file_system.h"
#include "framework/explore/explore_states.h"

namespace crashlab {

class BlockStateEnumerator {
 public:
  // States are built as disk images in `scratch_dir` (an existing
  // directory) and mounted there.
  BlockStateEnumerator(const faults::BlockLog& log, faults::FileSystemKind fs,
                       const ExploreOptions& o, std::string scratch_dir,
                       StateEnumerator::Sink sink);

  // Offers the states of point p when `mine`, judged with `context`.
  [[nodiscard]] Status Visit(uint64_t p, bool mine, int context);
  // Disk images mounted so far (distinct images; equal ones are mounted once).
  int64_t images_mounted() const { return mounted_; }

 private:
  Status Offer(uint64_t p, int context, faults::BlockCrashChoices fates);

  const faults::BlockLog& log_;
  faults::FileSystemKind fs_;
  const ExploreOptions& o_;
  std::string scratch_dir_;
  StateEnumerator::Sink sink_;
  // By the image's key (the durable prefix and the fates): its files'
  // digest and the files themselves, until offered.
  std::unordered_map<std::string, uint64_t> digest_of_image_;
  int64_t mounted_ = 0;
};

}  // namespace crashlab
