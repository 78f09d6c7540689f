#include "faults/torn_write.h"

#include <algorithm>
#include <string>

namespace crashlab::faults::internal {
namespace {

bool KeepsSize(const ContentOp& op) { return (op.flags & kFallocKeepSize) != 0; }

}  // namespace

void ApplyChange(const ContentOp& op, const std::string& fate_units, uint32_t unit, Prng& prng,
                 std::string& image) {
  switch (op.kind) {
    case EventKind::kTruncate:
      image.resize(op.offset, '\0');
      return;
    case EventKind::kFallocate:
      if (op.offset + op.length > image.size() && !KeepsSize(op)) {
        image.resize(op.offset + op.length, '\0');
      }
      return;
    default:
      break;
  }
  const uint64_t end = op.offset + op.data.size();
  const uint64_t first = op.offset / unit;
  // Only a torn write needs the old bytes, and only those of its own units:
  // copying the whole image per write made big files quadratic.
  const uint64_t old_size = image.size();
  const uint64_t span_lo = std::min<uint64_t>(first * unit, old_size);
  const uint64_t span_hi = std::min<uint64_t>((end + unit - 1) / unit * unit, old_size);
  const std::string before =
      fate_units.empty() ? std::string() : image.substr(span_lo, span_hi - span_lo);
  if (end > image.size()) image.resize(end, '\0');
  image.replace(op.offset, op.data.size(), op.data);
  if (fate_units.empty() || op.data.empty()) return;
  for (std::size_t i = 0; i < fate_units.size(); ++i) {
    const uint64_t lo = (first + i) * unit;
    const uint64_t hi = std::min<uint64_t>(lo + unit, image.size());
    if (lo >= hi) break;
    // Zeros and garbage stay within the bytes this write covers: the model
    // assumes powersafe overwrite (a device does not damage the bytes of a
    // sector that the interrupted write did not change).
    const uint64_t own_lo = std::max<uint64_t>(lo, op.offset);
    const uint64_t own_hi = std::min<uint64_t>(hi, end);
    switch (fate_units[i]) {
      case 'N':
        break;
      case 'O':
        for (uint64_t b = lo; b < hi; ++b) image[b] = b < old_size ? before[b - span_lo] : '\0';
        break;
      case 'Z':
        std::fill(image.begin() + own_lo, image.begin() + own_hi, '\0');
        break;
      case 'G': {
        image.replace(own_lo, own_hi - own_lo, prng.Bytes(own_hi - own_lo));
        break;
      }
    }
  }
}

uint64_t UnitCount(const ContentOp& op, uint32_t unit) {
  if (op.data.empty()) return 0;
  return (op.offset + op.data.size() - 1) / unit - op.offset / unit + 1;
}

std::string DrawTear(const ContentOp& op, uint64_t size_before, const PowerLossPlan& plan,
                     Prng& prng) {
  const uint64_t units = UnitCount(op, plan.atomic_unit);
  char other = 'O';
  if (plan.profile == Profile::kPosix) {
    // POSIX says nothing of a write cut by power loss: past the old end of
    // file a unit may read as zeros (the size persisted before the data) or
    // as garbage (blocks allocated, never written), as ALICE saw for appends.
    static constexpr char kModes[] = {'O', 'Z', 'G'};
    other = kModes[prng.Below(3)];
  }
  std::string fate(units, 'N');
  const uint64_t first = op.offset / plan.atomic_unit;
  for (uint64_t i = 0; i < units; ++i) {
    const uint64_t unit_lo = (first + i) * plan.atomic_unit;
    // ext4 data=ordered: the size grows only once the data under it is on
    // disk, so units past the old end of file are all there or the size
    // has not moved — they never tear.
    if (plan.profile == Profile::kExt4Ordered && unit_lo + plan.atomic_unit > size_before) {
      continue;
    }
    if (!prng.Chance(1, 2)) continue;
    // A unit that starts inside the old file is old or new, never zeros or
    // garbage: the atomic unit is what a device writes all or nothing, and
    // the bytes it held were real data (LMDB's 120-byte meta page update
    // relies on exactly this; so does any sector-atomic commit record).
    fate[i] = unit_lo < size_before ? 'O' : other;
  }
  if (fate.find_first_not_of('N') == std::string::npos) return "";
  return fate;
}

Result<std::string> ChosenTear(const ContentOp& op, uint64_t size_before,
                               const PowerLossPlan& plan) {
  std::string fate = plan.choices->tear;
  if (fate.size() != UnitCount(op, plan.atomic_unit)) {
    return Status::Error("power-loss choices: tear \"" + fate + "\" has " +
                         std::to_string(fate.size()) + " units, the write of event " +
                         std::to_string(op.seq) + " has " +
                         std::to_string(UnitCount(op, plan.atomic_unit)));
  }
  if (fate.find_first_not_of("NOZG") != std::string::npos) {
    return Status::Error("power-loss choices: tear \"" + fate + "\" may hold only N O Z G");
  }
  const uint64_t first = op.offset / plan.atomic_unit;
  for (std::size_t i = 0; i < fate.size(); ++i) {
    if ((first + i) * plan.atomic_unit < size_before && fate[i] != 'N') fate[i] = 'O';
  }
  if (fate.find_first_not_of('N') == std::string::npos) return std::string();
  return fate;
}

uint64_t SizeAfter(const ContentOp& op, uint64_t size) {
  switch (op.kind) {
    case EventKind::kTruncate:
      return op.offset;
    case EventKind::kFallocate:
      return op.offset + op.length > size && !KeepsSize(op) ? op.offset + op.length : size;
    default:
      return std::max<uint64_t>(size, op.offset + op.data.size());
  }
}

}  // namespace crashlab::faults::internal
