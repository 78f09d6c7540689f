#include "framework/oracle.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "framework/protocol.h"
#include "framework/value_difference.h"

namespace crashlab {
namespace {

// Which prefix states c (0..n) agree with the recovered value of one key.
using PrefixSet = std::vector<bool>;

struct KeyView {
  std::vector<PrefixSet::size_type> writers;  // transactions that write the key, in order
  PrefixSet matches;
};

// Bytes of a value shown in a verdict's details and differences.
constexpr std::size_t kValuePreview = 48;

std::string ShowValue(const std::optional<std::string>& v) {
  return v ? "'" + protocol::Printable(*v, kValuePreview) + "'" : "absent";
}

std::optional<std::string> Lookup(const KvState& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) return std::nullopt;
  return it->second;
}

// For each key touched by a transaction or present after recovery, the
// prefix states whose value for that key equals the recovered one.
std::map<std::string, KeyView> MatchKeys(const OracleInput& in) {
  const std::size_t n = in.sent.size();
  std::map<std::string, KeyView> keys;
  for (std::size_t t = 0; t < n; ++t) {
    for (const protocol::Op& op : in.sent[t].ops) {
      std::vector<PrefixSet::size_type>& writers = keys[op.key].writers;
      if (writers.empty() || writers.back() != t) writers.push_back(t);  // once per transaction
    }
  }
  for (const auto& [key, value] : in.recovered) keys[key];
  for (auto& [key, view] : keys) {
    const std::optional<std::string> got = Lookup(in.recovered, key);
    view.matches.assign(n + 1, false);
    std::optional<std::string> current;  // value in prefix state c
    std::size_t next_writer = 0;
    for (std::size_t c = 0; c <= n; ++c) {
      if (c > 0) {
        // Apply transaction c-1 if it writes this key.
        if (next_writer < view.writers.size() && view.writers[next_writer] == c - 1) {
          for (const protocol::Op& op : in.sent[c - 1].ops) {
            if (op.key == key) current = op.is_put ? std::optional(op.value) : std::nullopt;
          }
          ++next_writer;
        }
      }
      view.matches[c] = current == got;
    }
  }
  return keys;
}

bool Any(const PrefixSet& set, std::size_t from, std::size_t to) {  // [from, to]
  for (std::size_t c = from; c <= to && c < set.size(); ++c) {
    if (set[c]) return true;
  }
  return false;
}

std::string Difference(const KvState& expected, const KvState& recovered, std::size_t max_lines) {
  std::set<std::string> keys;
  for (const auto& [k, v] : expected) keys.insert(k);
  for (const auto& [k, v] : recovered) keys.insert(k);
  std::string out;
  std::size_t lines = 0, more = 0;
  for (const std::string& key : keys) {
    const auto e = Lookup(expected, key);
    const auto r = Lookup(recovered, key);
    if (e == r) continue;
    if (lines++ >= max_lines) {
      ++more;
      continue;
    }
    out += fmt::format("key '{}': expected {}, recovered {}\n", protocol::Printable(key, 48),
                       ShowValue(e), ShowValue(r));
    // Values that differ past what the previews show: say where.
    if (e && r && std::max(e->size(), r->size()) > kValuePreview) {
      out += "  " + ValueDifference(*e, *r) + "\n";
    }
  }
  if (more > 0) out += fmt::format("... and {} more keys differ\n", more);
  return out;
}

// The allowed prefix state (c >= acked) closest to the recovered one: most
// keys equal, the later state on a tie.
std::size_t ClosestAllowed(const std::map<std::string, KeyView>& keys, std::size_t acked,
                           std::size_t n) {
  std::size_t best = acked;
  std::size_t best_score = 0;
  for (std::size_t c = acked; c <= n; ++c) {
    std::size_t score = 0;
    for (const auto& [key, view] : keys) score += view.matches[c] ? 1 : 0;
    if (score >= best_score) {
      best = c;
      best_score = score;
    }
  }
  return best;
}

// No prefix state matches but every key on its own does: a transaction is
// partly visible (torn-txn), or a later one is visible while an earlier one
// is missing (hole). Fills verdict and details; false if neither is shown.
bool ClassifyMismatch(const OracleInput& in, const std::map<std::string, KeyView>& keys,
                      Judgement& j) {
  const std::size_t n = in.sent.size();
  std::optional<std::size_t> missing, applied_after_missing;
  for (std::size_t t = 0; t < n; ++t) {
    std::vector<std::string> seen, unseen;
    for (const protocol::Op& op : in.sent[t].ops) {
      const KeyView& view = keys.at(op.key);
      // The states in which the key holds what it held just before t, and
      // those in which it holds t's own write (until the next writer).
      const auto at = std::find(view.writers.begin(), view.writers.end(), t);
      const std::size_t before_from = at == view.writers.begin() ? 0 : *(at - 1) + 1;
      const std::size_t after_to = at + 1 == view.writers.end() ? n : *(at + 1);
      const bool before = Any(view.matches, before_from, t);
      const bool after = Any(view.matches, t + 1, after_to);
      if (before && !after) unseen.push_back(op.key);
      if (after && !before) seen.push_back(op.key);
    }
    if (!seen.empty() && !unseen.empty()) {
      j.verdict = Verdict::kTornTxn;
      j.details = fmt::format(
          "transaction {} is partly visible: its write to key '{}' survived but its write to "
          "key '{}' did not ({} of its {} writes visible)",
          t, protocol::Printable(seen[0], 48), protocol::Printable(unseen[0], 48), seen.size(),
          in.sent[t].ops.size());
      return true;
    }
    if (!unseen.empty() && !missing) missing = t;
    if (!seen.empty() && missing && !applied_after_missing) applied_after_missing = t;
  }
  if (missing && applied_after_missing) {
    j.verdict = Verdict::kHole;
    j.details = fmt::format("transaction {} is visible while the earlier transaction {} is missing",
                            *applied_after_missing, *missing);
    return true;
  }
  return false;
}

}  // namespace

KvState StateAfter(const std::vector<Txn>& txns, std::size_t count) {
  KvState state;
  for (std::size_t t = 0; t < count && t < txns.size(); ++t) {
    for (const protocol::Op& op : txns[t].ops) {
      if (op.is_put) {
        state[op.key] = op.value;
      } else {
        state.erase(op.key);
      }
    }
  }
  return state;
}

std::string Printable(const KvState& state, std::size_t limit) {
  std::string out;
  for (const auto& [k, v] : state) {
    out += protocol::Printable(k, limit) + " = " + protocol::Printable(v, limit) + "\n";
  }
  return out.empty() ? "(empty)\n" : out;
}

Judgement Judge(const OracleInput& in) {
  const std::size_t n = in.sent.size();
  const std::size_t acked = std::min(in.acked, n);
  const std::map<std::string, KeyView> keys = MatchKeys(in);
  Judgement j;
  if (in.fault) {
    j.verdict = in.fault->verdict;
    j.details = in.fault->what;
    return j;
  }
  j.recovered = Printable(in.recovered);

  PrefixSet common(n + 1, true);
  for (const auto& [key, view] : keys) {
    for (std::size_t c = 0; c <= n; ++c) common[c] = common[c] && view.matches[c];
  }
  for (std::size_t c = n + 1; c-- > 0;) {
    if (common[c]) {
      j.matched_prefix = static_cast<int64_t>(c);
      break;
    }
  }

  const std::size_t closest = ClosestAllowed(keys, acked, n);
  const KvState expected = StateAfter(in.sent, closest);
  j.expected = Printable(expected);
  j.difference = Difference(expected, in.recovered, 20);

  for (const auto& [key, view] : keys) {
    if (!Any(view.matches, 0, n)) {
      j.verdict = Verdict::kCorrupt;
      const bool written = !view.writers.empty();
      j.details = fmt::format(
          "key '{}' holds {}, which {} in any state after a prefix of the {} transactions sent",
          protocol::Printable(key, 48), ShowValue(Lookup(in.recovered, key)),
          written ? "it never held" : "no transaction wrote; it is not", n);
      if (in.check_error) j.details += "; the engine's own check failed too: " + *in.check_error;
      return j;
    }
  }
  if (in.check_error) {
    j.verdict = Verdict::kCorrupt;
    j.details = "the engine's own check failed: " + *in.check_error;
    return j;
  }
  if (j.matched_prefix < 0) {
    if (!ClassifyMismatch(in, keys, j)) {
      j.verdict = Verdict::kCorrupt;
      j.details = "the recovered state matches no prefix of the transactions sent";
    }
    return j;
  }
  const std::size_t matched = static_cast<std::size_t>(j.matched_prefix);
  if (matched < acked) {
    j.verdict = Verdict::kLostAcked;
    j.details = fmt::format(
        "{} transactions were acknowledged but the recovered state is the state after {}: "
        "transaction {} and the {} after it were lost",
        acked, matched, matched, acked - matched - 1);
    return j;
  }
  j.verdict = Verdict::kPass;
  j.details = fmt::format("recovered the state after {} of {} transactions sent ({} acknowledged)",
                          matched, n, acked);
  j.difference.clear();
  return j;
}

}  // namespace crashlab
