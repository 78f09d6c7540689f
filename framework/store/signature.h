// A failure's signature (DESIGN.md, "Oracle and verdicts"): what makes two
// failures the same bug. It is the verdict plus the cause:
//   - for recovery-failed, hang, protocol-error and corrupt, the case's
//     details (the engine's error message in crashlab's frame, or the
//     oracle's account of the bad data and the engine's failed check) with
//     what varies between runs of one bug masked: numbers, paths,
//     hexadecimal, quoted keys and values, and runs of whitespace
//     (MaskMessage). For lost-acked, hole and torn-txn the verdict is the
//     whole cause: the oracle's account names transactions and keys, which
//     shrinking changes, and no engine message is involved;
//   - whether acknowledged data was lost: for lost-acked always; for
//     recovery-failed, hang and protocol-error when anything was
//     acknowledged (none of it can be read back); for hole, torn-txn and
//     corrupt as the oracle found it (oracle.h, kAckedLostSentence).
// The crash site is not part of it: a stored plan names an event index,
// which moves whenever the workload changes (and shrinking changes it).
//
// It is computed from what the results store already keeps of a case, so
// every failure ever recorded has one, and `shrink`, `failures`, `explain`
// and the report all use this one function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "framework/base/vocabulary.h"
#include "framework/store/results_store.h"

namespace crashlab {

struct Signature {
  Verdict verdict = Verdict::kPass;
  bool acked_lost = false;
  std::string cause;  // masked
  bool operator==(const Signature&) const = default;
  // One line: "recovery-failed, acknowledged data lost: open (recovery): err ...".
  std::string Text() const;
};

// `message` with every run of digits as "N", every token holding a '/' as
// "<path>", hexadecimal words ("0x1f", "9f3a2b1c": hex digits with both a
// digit and a letter, 4 or more) as "<hex>", quoted text ('...' or "..."
// opened after a non-letter and closed before one) as '<q>', and whitespace
// runs as one space, trimmed. Deterministic and idempotent.
std::string MaskMessage(std::string_view message);

// The signature of a case with this verdict, details and count of
// acknowledged transactions.
Signature SignatureOf(Verdict verdict, std::string_view details, int64_t txns_acked);
Signature SignatureOf(const CaseRecord& c);

}  // namespace crashlab
