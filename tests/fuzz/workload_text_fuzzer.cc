// Fuzzes the workload text parser (framework/plan/workload.h ParseWorkloadText),
// which reads `explore --workload-file` files and the workloads stored in a
// results database.
//
// Checks, for every input:
//   - an error names the source;
//   - a parsed workload has at least one transaction, each of 1 to
//     protocol::kMaxTxnOps operations on distinct keys, deletes without values,
//     every key and value within the protocol's limits (docs/engine-protocol.md
//     "Limits": the controller never sends more, so a workload file must not
//     make it);
//   - it round-trips: WorkloadText (what `crashlab workload` prints and the
//     results store keeps) parses back to the same workload, compared by
//     Serialize, and printing that gives the same text again.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "framework/plan/workload.h"
#include "framework/protocol/protocol.h"

namespace {

using crashlab::Result;
using crashlab::Workload;

constexpr char kSource[] = "fuzz-workload.txt";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckShape(const Workload& workload) {
  Check(!workload.txns.empty());
  for (const crashlab::Txn& txn : workload.txns) {
    Check(!txn.ops.empty() && txn.ops.size() <= crashlab::protocol::kMaxTxnOps);
    std::set<std::string> keys;
    for (const crashlab::protocol::Op& op : txn.ops) {
      Check(keys.insert(op.key).second);
      Check(op.is_put || op.value.empty());
      Check(!op.key.empty() && op.key.size() <= crashlab::protocol::kMaxKeyBytes);
      Check(op.value.size() <= crashlab::protocol::kMaxValueBytes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<Workload> parsed = crashlab::ParseWorkloadText(text, kSource);
  if (!parsed.ok()) {
    Check(parsed.status().message().rfind(kSource, 0) == 0);
    return 0;
  }
  CheckShape(*parsed);

  const std::string printed = crashlab::WorkloadText(*parsed);
  Result<Workload> reparsed = crashlab::ParseWorkloadText(printed, kSource);
  Check(reparsed.ok());
  Check(crashlab::Serialize(*reparsed) == crashlab::Serialize(*parsed));
  Check(crashlab::WorkloadText(*reparsed) == printed);
  return 0;
}
