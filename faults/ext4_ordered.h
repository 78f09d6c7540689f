// Internal to faults/: the ext4-ordered profile's rules on writes that grow a
// file, for the persistence model's seeded path (persistence_model.cc,
// Ext4Content). docs/persistence-model.md lists each rule with its source;
// ext4_ordered_test.cc checks each one both ways.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "faults/trace_replay.h"
#include "framework/base/prng.h"

namespace crashlab::faults::internal {

// ext4's block size: mke2fs's default (mke2fs.conf, blocksize = 4096) for
// every file system but the smallest. ext4 allocates, writes back and
// exposes file data in blocks.
inline constexpr uint64_t kExt4Block = 4096;

// ext4-ordered, the on-disk size rule: how many of a file's pending writes
// that grew it (GrowsFile, in trace order from `first`) survive. ext4 never
// writes a file's size itself: its i_disksize is journaled when writeback
// allocates the blocks under it (fs/ext4/inode.c, mpage_map_and_submit_extent:
// "Update on-disk size after IO is submitted"), or at the write if the write
// ends in an allocated block, so no earlier than the call and no later than
// the next fsync or fdatasync of the file. i_disksize only grows, so the sizes
// that survive are those of a prefix of the growing writes; and only a write
// called before the journal's cut can have had its size journaled before it.
// A kept replace-via-rename forces the writes before it (auto_da_alloc).
// Draws from `prng` only when more than one count is possible.
[[nodiscard]] std::size_t Ext4GrowthKept(const Node& node, std::size_t first, uint64_t journal_cut,
                                         uint64_t flush_before, Prng& prng);

// ext4-ordered, the one way an earlier append may read as zeros while a later
// one is there: its bytes fell in a block that an earlier writeback had
// already allocated (the block holding the file's old end). data=ordered
// orders only newly allocated blocks before the commit that exposes them; a
// block already allocated is rewritten whenever writeback reaches it, and
// range-cyclic writeback may reach the next, new block first. On disk the old
// block is as its last writeback left it: zeros past the end of file it had
// then (linux-ext4, 2023-03-24, "ext4: defer updating i_disksize until endio",
// reproduces "foo\0\0\0" after `echo -n foo >> f; sync; echo -n bar >> f`
// and a crash). So per such block, the kept growing writes that started in it
// from some point on (a suffix in time) lose their bytes there. Returns, per op
// index, whether its units in its first block read as old.
// Each such block goes stale with odds 1 in `one_in`.
[[nodiscard]] std::vector<bool> Ext4StaleTails(const Node& node, std::size_t first,
                                               std::size_t kept_growth, uint64_t flush_before,
                                               uint64_t one_in, Prng& prng);

}  // namespace crashlab::faults::internal
