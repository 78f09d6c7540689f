// Fuzzes the trace reader (faults/trace_file.h ParseTrace), which reads files
// an engine's process wrote (a killed engine leaves a torn last record) and
// traces stored in the results database.
//
// Checks, for every input:
//   - ParseTrace returns a value or an error naming the path; it never crashes;
//   - a parsed trace has a version this build reads, dense seqs and only known
//     event kinds;
//   - it re-encodes (EncodeTraceHeader + EncodeEvent, what WriteTraceFile
//     writes) to bytes no longer than the input that parse back to the same
//     trace: torn tails, unknown kinds and unknown trailing fields drop out,
//     and what is left is kept exactly;
//   - the persistence model's replay (faults/trace_replay.h) of the trace, at
//     its end and with a middle event in flight, under both profiles, either
//     fails with a message or gives a state whose indices are all in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "faults/trace_encoding.h"
#include "faults/trace_file.h"
#include "faults/trace_replay.h"

namespace {

using crashlab::Result;
using namespace crashlab::faults;

constexpr char kPath[] = "fuzz.trace";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SameEvent(const Event& a, const Event& b) {
  return a.seq == b.seq && a.thread == b.thread && a.kind == b.kind && a.file == b.file &&
         a.flags == b.flags && a.offset == b.offset && a.length == b.length && a.path == b.path &&
         a.path2 == b.path2 && a.data == b.data && a.name == b.name;
}

bool SameTrace(const Trace& a, const Trace& b) {
  if (a.version != b.version || a.case_dir != b.case_dir || a.events.size() != b.events.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    if (!SameEvent(a.events[i], b.events[i])) return false;
  }
  return true;
}

void CheckState(const internal::State& state) {
  const auto node_count = static_cast<int>(state.nodes.size());
  auto valid_node = [&](int node) { return node >= 0 && node < node_count; };
  for (const auto* names : {&state.base_names, &state.names}) {
    for (const auto& [path, node] : *names) Check(valid_node(node));
  }
  for (const auto& [id, node] : state.ids) Check(valid_node(node));
  const auto op_count = static_cast<int>(state.name_ops.size());
  for (const auto& [path, op] : state.binder) Check(op >= 0 && op < op_count);
  for (const internal::NameOp& op : state.name_ops) {
    Check(valid_node(op.node));
    Check(op.parents.size() == op.synced.size());
    for (int parent : op.parents) Check(valid_node(parent));
    for (int dep : op.deps) Check(dep >= 0 && dep < op_count);
  }
}

void CheckReplay(const Trace& trace) {
  const uint64_t end = trace.events.size();
  for (Profile profile : {Profile::kPosix, Profile::kExt4Ordered}) {
    for (auto [crash, in_flight] : {std::pair<uint64_t, bool>{end, false}, {end / 2, true}}) {
      Result<internal::State> state = internal::Replay(trace, crash, in_flight, profile, DirTree{});
      if (state.ok()) {
        CheckState(*state);
      } else {
        Check(!state.status().message().empty());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  Result<Trace> trace = ParseTrace(bytes, kPath);
  if (!trace.ok()) {
    Check(trace.status().message().find(kPath) != std::string::npos);
    return 0;
  }
  Check(trace->version >= 1 && trace->version <= encoding::kVersion);
  for (std::size_t i = 0; i < trace->events.size(); ++i) {
    const Event& e = trace->events[i];
    Check(e.seq == i);
    Check(std::string(EventKindName(e.kind)) != "unknown");
  }

  // Rewritten at the current version, as WriteTraceFile would write it.
  Trace current = std::move(trace).value();
  current.version = encoding::kVersion;
  std::string encoded = EncodeTraceHeader(current.case_dir);
  for (const Event& e : current.events) encoded += EncodeEvent(e);
  Check(encoded.size() <= bytes.size());
  Result<Trace> again = ParseTrace(encoded, kPath);
  Check(again.ok() && SameTrace(*again, current));

  CheckReplay(current);
  return 0;
}
