// The version of the persistence model a stored plan was built under. A
// traced plan (power loss, live, explore) is rebuilt into a crash state by
// the rules of faults/ (what a kill keeps, what a power loss may drop or
// tear, what a sync makes durable); the same plan rebuilt under other rules
// is another state, so every plan text carries the version it was written
// under (" model=N"), and `crashlab repro` says when it differs from this
// build's.
#pragma once

namespace crashlab {

// The current persistence model. A change of ANY persistence rule in faults/
// (docs/persistence-model.md) that can change a crash state built from a
// stored trace and plan must bump it, so that old failures say they were
// recorded under other rules.
//  1: every release before plan texts carried a version (no " model=" token);
//  2: the first versioned plans (issue 18), same rules as 1.
inline constexpr int kModelVersion = 2;

// The version of a plan text without a " model=" token: what earlier
// releases stored.
inline constexpr int kUnversionedModel = 1;

}  // namespace crashlab
