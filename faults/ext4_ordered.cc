#include "faults/ext4_ordered.h"

#include <map>

namespace crashlab::faults::internal {

std::size_t Ext4GrowthKept(const Node& node, std::size_t first, uint64_t journal_cut,
                           uint64_t flush_before, Prng& prng) {
  std::size_t eligible = 0;
  std::size_t forced = 0;
  for (std::size_t i = first; i < node.ops.size(); ++i) {
    const ContentOp& op = node.ops[i];
    if (op.durable || !GrowsFile(op)) continue;
    if (op.journal_at_call > journal_cut) break;  // every later call is later still
    ++eligible;
    if (op.seq < flush_before) forced = eligible;
  }
  if (eligible == forced) return forced;
  return static_cast<std::size_t>(
      prng.Range(static_cast<int64_t>(forced), static_cast<int64_t>(eligible)));
}

std::vector<bool> Ext4StaleTails(const Node& node, std::size_t first, std::size_t kept_growth,
                                 uint64_t flush_before, uint64_t one_in, Prng& prng) {
  std::vector<bool> stale(node.ops.size(), false);
  std::map<uint64_t, std::vector<std::size_t>> by_block;  // block -> ops that grew from inside it
  std::size_t growth = 0;
  for (std::size_t i = first; i < node.ops.size() && growth < kept_growth; ++i) {
    const ContentOp& op = node.ops[i];
    if (op.durable || !GrowsFile(op)) continue;
    ++growth;
    const uint64_t block = op.size_before / kExt4Block;
    const bool starts_in_block = op.offset < (block + 1) * kExt4Block;
    if (op.seq < flush_before || op.size_before % kExt4Block == 0 || !starts_in_block) continue;
    by_block[block].push_back(i);
  }
  for (const auto& [block, ops] : by_block) {
    if (!prng.Chance(1, one_in)) continue;
    for (std::size_t j = prng.Below(ops.size()); j < ops.size(); ++j) stale[ops[j]] = true;
  }
  return stale;
}

}  // namespace crashlab::faults::internal
