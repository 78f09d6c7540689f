// The seeded workload of one case: transactions of puts and deletes over a
// small key space, with transaction and value sizes varying with the seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/prng.h"
#include "framework/base/status.h"
#include "framework/protocol/protocol.h"

namespace crashlab {

struct Txn {
  std::vector<protocol::Op> ops;   // each key at most once per transaction
  bool checkpoint_before = false;  // send `checkpoint` before this transaction
};

struct Workload {
  std::vector<Txn> txns;
};

// A key-value state: what an engine dumps, what the oracle expects.
using KvState = std::map<std::string, std::string>;

// The workload of case `case_index` of the campaign with `campaign_seed`.
// Deterministic: the same arguments give the same workload on every platform.
// `txns` fixes the number of transactions (`--txns`); 0 lets the seed draw it
// (4 to 24). The other draws do not depend on it, so a 100-transaction
// workload starts with the same transactions as the drawn one.
Workload GenerateWorkload(uint64_t campaign_seed, uint64_t case_index, std::size_t txns = 0);

// A canonical byte form of `workload` (length-prefixed fields), used to
// compare workloads for identity.
std::string Serialize(const Workload& workload);

// The text form of a workload, as `crashlab workload` prints it and
// `explore --workload-file` reads it: for each transaction a `checkpoint` line
// when one is sent before it, then its requests (RequestText). Lines starting
// with '#' are comments. It is also how the results store keeps an explicit
// workload (a shrunk case's).
std::string WorkloadText(const Workload& workload);

// The inverse of WorkloadText. Errors name `source`, the line and what is
// wrong there: an unknown request, a count that does not match its lines, a
// bad percent-encoding, a key or value outside the protocol's limits (an
// empty key among them), a key twice in a transaction, no transaction at all.
[[nodiscard]] Result<Workload> ParseWorkloadText(std::string_view text, const std::string& source);

// The protocol requests that send `txn`: `txn <n>` and its n operation lines,
// each ending in '\n' (docs/engine-protocol.md).
std::string RequestText(const Txn& txn);

// The key with index `i` of the key space. A few keys carry bytes that must be
// escaped on the wire (space, '%', newline, NUL, 0xFF) to test the encoding.
std::string KeyName(uint64_t i);

}  // namespace crashlab
