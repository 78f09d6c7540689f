// Internal to faults/: one content change applied to a file's image, whole
// or torn at the atomic unit, and how a power loss tears a write — drawn
// from the seed or checked from explicit choices. The rules are in
// docs/persistence-model.md ("What a power loss may do to pending changes").
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "faults/trace_replay.h"
#include "framework/base/prng.h"
#include "framework/base/status.h"

namespace crashlab::faults::internal {

// Odds of the seeded choices. Even odds give the widest spread of outcomes
// over few seeds; tearing is rarer so that whole-write survival stays common.
// The write in flight at the crash point tears at twice these odds.
inline constexpr uint64_t kTearOneIn = 4;

// Applies `op` to `image`; `fate_units` chooses, per atomic unit of a write,
// 'N' (new), 'O' (old), 'Z' (zeroed) or 'G' (garbage from `prng`). Empty
// `fate_units`: the change lands whole (and `unit` and `prng` are unused).
void ApplyChange(const ContentOp& op, const std::string& fate_units, uint32_t unit, Prng& prng,
                 std::string& image);

// How many atomic units of `unit` bytes the write `op` touches.
uint64_t UnitCount(const ContentOp& op, uint32_t unit);

// The size a file of `size` bytes has after `op`, as ApplyChange leaves it.
uint64_t SizeAfter(const ContentOp& op, uint64_t size);

// Draws the per-unit fate of a kept write that tears, over a file of
// `size_before` bytes: "" when every unit came out new (the write did not
// tear after all).
std::string DrawTear(const ContentOp& op, uint64_t size_before, const PowerLossPlan& plan,
                     Prng& prng);

// The tear plan.choices asks for, of `op` (their target, kept), over a file
// of `size_before` bytes: Z and G on a unit that starts inside the old file
// read as O (a unit is all or nothing). An error when the choices' tear does
// not fit the write.
Result<std::string> ChosenTear(const ContentOp& op, uint64_t size_before,
                               const PowerLossPlan& plan);

}  // namespace crashlab::faults::internal
