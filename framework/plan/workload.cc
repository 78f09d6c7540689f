#include "framework/plan/workload.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace crashlab {
namespace {

std::string DrawValue(Prng& prng, std::size_t txn, std::size_t op) {
  if (prng.Chance(1, 32)) return "";  // empty values must survive too
  // The prefix makes almost every value unique, so a recovered value tells
  // which transaction wrote it.
  std::string value = "t" + std::to_string(txn) + ".o" + std::to_string(op) + ":";
  const uint64_t size_class = prng.Below(20);
  std::size_t filler;
  if (size_class < 13) {
    filler = static_cast<std::size_t>(prng.Range(0, 64));
  } else if (size_class < 18) {
    filler = static_cast<std::size_t>(prng.Range(65, 1024));
  } else {
    filler = static_cast<std::size_t>(prng.Range(1025, 8192));  // several KiB
  }
  const bool binary = prng.Chance(1, 2);
  value += prng.Bytes(filler, binary ? "" : "abcdefghijklmnopqrstuvwxyz0123456789");
  return value;
}

void AppendField(std::string& out, const std::string& field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

}  // namespace

std::string KeyName(uint64_t i) {
  std::string key = "key" + std::to_string(i);
  if (i % 7 == 3) key += std::string(" %\n\0\xff", 5);
  return key;
}

Workload GenerateWorkload(uint64_t campaign_seed, uint64_t case_index, std::size_t txns) {
  Prng prng = Prng::ForCase(campaign_seed, kWorkloadStream, case_index);
  const int64_t key_space = prng.Range(8, 64);
  const auto drawn_count = static_cast<std::size_t>(prng.Range(4, 24));
  const std::size_t txn_count = txns != 0 ? txns : drawn_count;
  const int64_t max_ops = prng.Chance(1, 4) ? 16 : 6;
  Workload workload;
  workload.txns.resize(txn_count);
  for (std::size_t t = 0; t < txn_count; ++t) {
    Txn& txn = workload.txns[t];
    txn.checkpoint_before = t > 0 && prng.Chance(1, 8);
    const std::size_t op_count =
        static_cast<std::size_t>(std::min<int64_t>(prng.Range(1, max_ops), key_space));
    std::vector<uint64_t> keys;
    while (keys.size() < op_count) {
      const uint64_t k = prng.Below(static_cast<uint64_t>(key_space));
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
    for (std::size_t o = 0; o < keys.size(); ++o) {
      protocol::Op op;
      op.key = KeyName(keys[o]);
      op.is_put = !prng.Chance(1, 5);
      if (op.is_put) op.value = DrawValue(prng, t, o);
      txn.ops.push_back(std::move(op));
    }
  }
  return workload;
}

std::string RequestText(const Txn& txn) {
  std::string text = "txn " + std::to_string(txn.ops.size()) + "\n";
  for (const protocol::Op& op : txn.ops) {
    text += op.is_put ? "put " : "del ";
    text += protocol::Encode(op.key);
    if (op.is_put) text += " " + protocol::Encode(op.value);
    text += "\n";
  }
  return text;
}

std::string Serialize(const Workload& workload) {
  std::string out = "crashlab-workload-v1\n";
  for (const Txn& txn : workload.txns) {
    out += txn.checkpoint_before ? "C" : "T";
    out += std::to_string(txn.ops.size()) + "\n";
    for (const protocol::Op& op : txn.ops) {
      out += op.is_put ? 'P' : 'D';
      AppendField(out, op.key);
      if (op.is_put) AppendField(out, op.value);
      out += '\n';
    }
  }
  return out;
}

std::string WorkloadText(const Workload& workload) {
  std::string text;
  for (std::size_t t = 0; t < workload.txns.size(); ++t) {
    text += "# transaction " + std::to_string(t) + "\n";
    if (workload.txns[t].checkpoint_before) text += "checkpoint\n";
    text += RequestText(workload.txns[t]);
  }
  return text;
}

Result<Workload> ParseWorkloadText(std::string_view text, const std::string& source) {
  Workload workload;
  bool checkpoint = false;
  std::size_t line_no = 0, ops_left = 0;
  auto fail = [&](const std::string& what) {
    return Status::Error(fmt::format(
        "{} line {}: {}; a workload file holds what `crashlab workload` prints (`checkpoint`, "
        "`txn N` and its N `put KEY VALUE` or `del KEY` lines, percent-encoded)",
        source, line_no, what));
  };
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (ops_left == 0 && (line.empty() || line.front() == '#')) continue;
    const std::vector<std::string_view> fields = protocol::SplitFields(line);
    if (ops_left > 0) {
      const bool put = fields[0] == "put" && fields.size() == 3;
      if (!put && !(fields[0] == "del" && fields.size() == 2)) {
        return fail(fmt::format("expected `put KEY VALUE` or `del KEY`, found \"{}\"",
                                protocol::Readable(line, 80)));
      }
      protocol::Op op;
      op.is_put = put;
      Result<std::string> key = protocol::Decode(fields[1]);
      if (!key.ok()) return fail(key.status().message());
      op.key = std::move(*key);
      // The controller never sends what the protocol's limits forbid
      // (docs/engine-protocol.md, "Limits"): an engine would refuse the
      // transaction, and the case would judge the refusal, not the engine.
      if (op.key.empty() || op.key.size() > protocol::kMaxKeyBytes) {
        return fail(fmt::format("a key of {} bytes (keys hold 1 to {} bytes)", op.key.size(),
                                protocol::kMaxKeyBytes));
      }
      if (put) {
        Result<std::string> value = protocol::Decode(fields[2]);
        if (!value.ok()) return fail(value.status().message());
        op.value = std::move(*value);
        if (op.value.size() > protocol::kMaxValueBytes) {
          return fail(fmt::format("a value of {} bytes (values hold at most {} bytes)",
                                  op.value.size(), protocol::kMaxValueBytes));
        }
      }
      std::vector<protocol::Op>& ops = workload.txns.back().ops;
      for (const protocol::Op& earlier : ops) {
        if (earlier.key == op.key) {
          return fail("key " + protocol::Printable(op.key, 40) + " twice in one transaction");
        }
      }
      ops.push_back(std::move(op));
      --ops_left;
      continue;
    }
    if (fields.size() == 1 && fields[0] == "checkpoint") {
      checkpoint = true;
      continue;
    }
    std::size_t count = 0;
    const bool is_txn =
        fields.size() == 2 && fields[0] == "txn" &&
        std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), count).ptr ==
            fields[1].data() + fields[1].size();
    if (!is_txn || count == 0 || count > protocol::kMaxTxnOps) {
      return fail(fmt::format("expected `checkpoint` or `txn N` (1 <= N <= {}), found \"{}\"",
                              protocol::kMaxTxnOps, protocol::Readable(line, 80)));
    }
    workload.txns.push_back(Txn{{}, checkpoint});
    checkpoint = false;
    ops_left = count;
  }
  if (ops_left > 0)
    return fail(fmt::format("the last transaction lacks {} operation(s)", ops_left));
  if (workload.txns.empty()) {
    return Status::Error(source +
                         " holds no transaction; a workload file holds what `crashlab workload` "
                         "prints");
  }
  return workload;
}

}  // namespace crashlab
