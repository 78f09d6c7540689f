// The oracle: judges a recovered state against the transactions sent before a
// crash (DESIGN.md, "Oracle and verdicts").
//
// Words used below: `n` transactions were sent, the first `acked` of them were
// acknowledged; the state after prefix c is what applying transactions 0..c-1
// gives; a "whole-transaction explanation" of the recovered state R is a set S
// of the sent transactions such that applying exactly those, each with all its
// operations, in their order, gives R.
//
// The verdict is the mildest class that explains R, decided in this order. It
// holds for any engine and any workload: values may repeat, transactions may
// delete, overwrite earlier ones' keys or change nothing at all.
//   fault     there is no state to judge (EngineFault): recovery-failed, hang
//             or protocol-error, as the fault says.
//   corrupt   the dump listed a key twice; or a key holds a value that it holds
//             in no prefix state and that no operation wrote to it; or the
//             engine's own check failed.
//   pass      R is the state after some prefix c with c >= acked.
//   lost-acked R is the state after some prefix, but only prefixes c < acked
//             give it: acknowledged transactions are missing, and nothing else
//             is wrong (allowed by the `prefix` contract).
//   hole      R is no prefix state, but it has a whole-transaction
//             explanation: a transaction is missing while a later one is
//             visible. Acknowledged or not, this breaks `prefix` too.
//   torn-txn  R has no whole-transaction explanation, yet every key holds a
//             value some operation wrote to it (or is absent): part of a
//             transaction is visible. This includes a value a transaction
//             overwrote within itself, and whole transactions applied out of
//             order (a key shows the later one, another key the earlier one
//             only), since then no set of whole transactions gives R either.
// So `hole` and `torn-txn` never depend on acknowledgement, `lost-acked` is
// the only class that does, and a state some prefix gives is never a hole.
//
// Whether acknowledged data was lost (Judgement::acked_lost): for lost-acked
// always; for a hole, when an acknowledged transaction is missing from every
// whole-transaction explanation; for torn-txn and corrupt, when the torn
// transaction was acknowledged or a key an acknowledged transaction wrote holds
// a value it holds in no state after a prefix c >= acked.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/vocabulary.h"
#include "framework/plan/workload.h"

namespace crashlab {

// What went wrong with the engine process itself, found by the case runner:
// `verdict` is kRecoveryFailed, kHang or kProtocolError.
struct EngineFault {
  Verdict verdict = Verdict::kRecoveryFailed;
  std::string what;  // e.g. "open answered: err database disk image is malformed"
  int signal = 0;    // the signal the engine died of (SIGBUS: maybe a full disk); 0: none
};

struct OracleInput {
  std::vector<Txn> sent;                   // transactions sent, in order (acknowledged or not)
  std::size_t acked = 0;                   // the first `acked` of them were acknowledged
  KvState recovered;                       // what the engine dumped after recovery
  std::optional<std::string> check_error;  // the engine's own check failed with this
  // The dump itself was inconsistent (e.g. "the dump lists key 'a' twice");
  // `recovered` then holds the first value of each key.
  std::optional<std::string> dump_error;
  // Set when there is no state to judge: the engine failed before the crash
  // point, or while it recovered (RecoveryOutcome::fault). It decides the
  // verdict.
  std::optional<EngineFault> fault;
};

struct Judgement {
  Verdict verdict = Verdict::kPass;
  // The largest c such that the recovered state equals the state after the
  // first c transactions; -1 when no prefix state matches.
  int64_t matched_prefix = -1;
  // Acknowledged data is lost (see the header comment); false for a fault.
  bool acked_lost = false;
  std::string details;     // one paragraph: what was seen, in the oracle's words
  std::string expected;    // the closest allowed state, printable
  std::string recovered;   // the recovered state, printable
  std::string difference;  // expected versus recovered, one line per key
};

// Judges `input`. The verdict is the observed class, independent of the
// contract: whether it is a violation is Violates(verdict, contract).
Judgement Judge(const OracleInput& input);

// The state after applying the first `count` transactions of `txns`.
KvState StateAfter(const std::vector<Txn>& txns, std::size_t count);

// `state` one key per line, keys and values printable and cut to `limit` bytes.
std::string Printable(const KvState& state, std::size_t limit = 64);

}  // namespace crashlab
