// The oracle: judges a recovered state against the transactions sent before a
// crash. The recovered state must equal the state after some prefix of them;
// which prefixes are allowed, and what it means when none matches, gives the
// verdict (DESIGN.md, "Oracle and verdicts").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/vocabulary.h"
#include "framework/workload.h"

namespace crashlab {

using KvState = std::map<std::string, std::string>;

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
  // Set when the verifier could not get a state at all; it decides the verdict.
  std::optional<EngineFault> fault;
};

struct Judgement {
  Verdict verdict = Verdict::kPass;
  // The largest c such that the recovered state equals the state after the
  // first c transactions; -1 when no prefix state matches.
  int64_t matched_prefix = -1;
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
