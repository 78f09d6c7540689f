#include "framework/case/oracle.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "framework/case/value_difference.h"
#include "framework/protocol/protocol.h"

namespace crashlab {
namespace {

// Which prefix states c (0..n) agree with the recovered value of one key.
using PrefixSet = std::vector<bool>;
using Value = std::optional<std::string>;

struct KeyView {
  std::vector<std::size_t> writers;  // transactions that write the key, in order
  std::vector<Value> effects;        // each writer's last write to the key (nullopt: a delete)
  Value got;                         // the recovered value
  PrefixSet matches;
  // Positions 0..writers.size() whose outcome equals `got`: 0 is "no writer
  // applied" (the key absent), i is "writers[i-1] was the last one applied".
  std::vector<std::size_t> outcomes;
};

// Bytes of a value shown in a verdict's details and differences.
constexpr std::size_t kValuePreview = 48;

std::string ShowValue(const Value& v) {
  return v ? "'" + protocol::Printable(*v, kValuePreview) + "'" : "absent";
}

std::string ShowKey(const std::string& key) {
  return "'" + protocol::Printable(key, kValuePreview) + "'";
}

Value Lookup(const KvState& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) return std::nullopt;
  return it->second;
}

// For each key touched by a transaction or present after recovery: its
// writers, their effects, and the prefix states that agree with it.
std::map<std::string, KeyView> MatchKeys(const OracleInput& in) {
  const std::size_t n = in.sent.size();
  std::map<std::string, KeyView> keys;
  for (std::size_t t = 0; t < n; ++t) {
    for (const protocol::Op& op : in.sent[t].ops) {
      KeyView& view = keys[op.key];
      if (view.writers.empty() || view.writers.back() != t) {  // once per transaction
        view.writers.push_back(t);
        view.effects.emplace_back();
      }
      view.effects.back() = op.is_put ? Value(op.value) : std::nullopt;  // the last write wins
    }
  }
  for (const auto& [key, value] : in.recovered) keys[key];
  for (auto& [key, view] : keys) {
    view.got = Lookup(in.recovered, key);
    if (!view.got) view.outcomes.push_back(0);
    for (std::size_t i = 0; i < view.writers.size(); ++i) {
      if (view.effects[i] == view.got) view.outcomes.push_back(i + 1);
    }
    view.matches.assign(n + 1, false);
    Value current;  // value in prefix state c
    std::size_t next = 0;
    for (std::size_t c = 0; c <= n; ++c) {
      if (c > 0 && next < view.writers.size() && view.writers[next] == c - 1) {
        current = view.effects[next++];
      }
      view.matches[c] = current == view.got;
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
    out += fmt::format("key {}: expected {}, recovered {}\n", ShowKey(key), ShowValue(e),
                       ShowValue(r));
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

// A transaction whose write to `key`, later replaced within the same
// transaction, is the recovered value; nullopt if none.
std::optional<std::size_t> IntermediateWriter(const OracleInput& in, const std::string& key,
                                              const KeyView& view) {
  if (!view.got) return std::nullopt;
  for (std::size_t t : view.writers) {
    for (const protocol::Op& op : in.sent[t].ops) {
      if (op.key == key && op.is_put && op.value == *view.got) return t;
    }
  }
  return std::nullopt;
}

// Whether some whole-transaction explanation exists, found as the greatest
// one: every key starts at its latest outcome, and a transaction that one key
// needs but another excludes pushes the first key to its next earlier outcome.
// Outcomes only move earlier, and every explanation lies at or before the
// current ones throughout, so this finds one whenever one exists; `missing`
// is then what every explanation leaves out.
struct Explanation {
  bool exists = false;
  std::vector<bool> missing;  // per transaction, when `exists`
  std::vector<bool> needed;   // the last applied writer of some key
  std::map<std::size_t, std::string> needed_by;
  // When none exists: `txn` is needed by `needs_key` and excluded by `excludes_key`.
  std::size_t txn = 0;
  std::string needs_key, excludes_key;
};

Explanation ExplainByWholeTransactions(const std::map<std::string, KeyView>& keys, std::size_t n) {
  Explanation e;
  std::map<std::string, std::size_t> last;  // index into outcomes
  for (const auto& [key, view] : keys) {
    if (view.outcomes.empty()) return e;  // no writer explains this key at all
    last[key] = view.outcomes.size() - 1;
  }
  while (true) {
    e.missing.assign(n, false);
    std::vector<std::string> excluded_by(n);
    for (const auto& [key, view] : keys) {
      for (std::size_t i = view.outcomes[last[key]]; i < view.writers.size(); ++i) {
        if (!e.missing[view.writers[i]]) excluded_by[view.writers[i]] = key;
        e.missing[view.writers[i]] = true;
      }
    }
    bool moved = false;
    for (const auto& [key, view] : keys) {
      std::size_t& at = last[key];
      const std::size_t outcome = view.outcomes[at];
      if (outcome == 0 || !e.missing[view.writers[outcome - 1]]) continue;
      if (at == 0) {
        e.txn = view.writers[outcome - 1];
        e.needs_key = key;
        e.excludes_key = excluded_by[e.txn];
        return e;
      }
      --at;
      moved = true;
    }
    if (!moved) break;
  }
  e.exists = true;
  e.needed.assign(n, false);
  for (const auto& [key, view] : keys) {
    const std::size_t outcome = view.outcomes[last[key]];
    if (outcome == 0) continue;
    const std::size_t t = view.writers[outcome - 1];
    // The key to name as the witness: one holding t's write before one t's
    // delete left absent.
    if (!e.needed[t] || (view.got && !keys.at(e.needed_by[t]).got)) e.needed_by[t] = key;
    e.needed[t] = true;
  }
  return e;
}

// A transaction that one key shows applied (only its write gives that key's
// value) and another shows missing (only writers before it do): torn in
// every explanation. Fills the verdict; false if there is none.
bool TornByTwoKeys(const OracleInput& in, const std::map<std::string, KeyView>& keys, Judgement& j,
                   std::size_t& torn) {
  for (std::size_t t = 0; t < in.sent.size(); ++t) {
    std::vector<std::string> seen, unseen;
    std::set<std::string> written;
    for (const protocol::Op& op : in.sent[t].ops) {
      if (!written.insert(op.key).second) continue;
      const KeyView& view = keys.at(op.key);
      const std::size_t position =
          std::find(view.writers.begin(), view.writers.end(), t) - view.writers.begin() + 1;
      if (view.outcomes == std::vector<std::size_t>{position}) seen.push_back(op.key);
      if (view.outcomes.back() < position) unseen.push_back(op.key);
    }
    if (seen.empty() || unseen.empty()) continue;
    j.verdict = Verdict::kTornTxn;
    j.details = fmt::format(
        "transaction {} is partly visible: its write to key {} survived but its write to key {} "
        "did not ({} of the {} keys it writes show it)",
        t, ShowKey(seen[0]), ShowKey(unseen[0]), seen.size(), written.size());
    torn = t;
    return true;
  }
  return false;
}

// Some key an acknowledged transaction wrote holds what it holds in no state
// with every acknowledged transaction applied.
bool AckedKeyLost(const std::map<std::string, KeyView>& keys, std::size_t acked, std::size_t n) {
  for (const auto& [key, view] : keys) {
    if (!view.writers.empty() && view.writers[0] < acked && !Any(view.matches, acked, n)) {
      return true;
    }
  }
  return false;
}

// No prefix state is R: a hole or a torn transaction. `intermediate` is a
// key holding a value its transaction replaced within itself, if any.
void ClassifyMismatch(const OracleInput& in, const std::map<std::string, KeyView>& keys,
                      const std::optional<std::pair<std::string, std::size_t>>& intermediate,
                      std::size_t acked, Judgement& j) {
  const std::size_t n = in.sent.size();
  std::optional<std::size_t> torn;
  if (intermediate) {
    const auto& [key, t] = *intermediate;
    j.verdict = Verdict::kTornTxn;
    j.details = fmt::format(
        "transaction {} is partly visible: key {} holds {}, which a later write of the same "
        "transaction replaced",
        t, ShowKey(key), ShowValue(keys.at(key).got));
    torn = t;
  } else if (std::size_t two_keys = 0; TornByTwoKeys(in, keys, j, two_keys)) {
    torn = two_keys;
  } else if (const Explanation e = ExplainByWholeTransactions(keys, n); e.exists) {
    // No prefix gives R, so some missing transaction has a later, needed one.
    std::size_t missing = 0;
    while (missing < n && !e.missing[missing]) ++missing;
    std::size_t visible = missing + 1;
    while (visible < n && !e.needed[visible]) ++visible;
    const auto by = e.needed_by.find(visible);
    const std::string shown =
        by == e.needed_by.end()
            ? std::string()
            : fmt::format(
                  " (key {} {})", ShowKey(by->second),
                  keys.at(by->second).got ? "holds its write" : "is absent, as its delete left it");
    j.verdict = Verdict::kHole;
    j.details = fmt::format(
        "transaction {} is visible{} while the earlier transaction {} is missing; {} "
        "transaction(s) wholly missing",
        visible, shown, missing, std::count(e.missing.begin(), e.missing.end(), true));
    for (std::size_t t = 0; t < acked; ++t) j.acked_lost = j.acked_lost || e.missing[t];
  } else {
    j.verdict = Verdict::kTornTxn;
    j.details = fmt::format(
        "no set of whole transactions gives the recovered state: key {} needs transaction {} "
        "(or a later writer of it) applied, key {} needs it missing; part of a transaction is "
        "visible, or transactions were applied out of order",
        ShowKey(e.needs_key), e.txn, ShowKey(e.excludes_key));
    torn = e.txn;
  }
  if (torn) j.acked_lost = *torn < acked || AckedKeyLost(keys, acked, n);
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
  Judgement j;
  if (in.fault) {
    j.verdict = in.fault->verdict;
    j.details = in.fault->what;
    return j;
  }
  const std::map<std::string, KeyView> keys = MatchKeys(in);
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

  const std::string check_too =
      in.check_error ? "; the engine's own check failed too: " + *in.check_error : "";
  auto corrupt = [&](std::string details) {
    j.verdict = Verdict::kCorrupt;
    j.acked_lost = AckedKeyLost(keys, acked, n);
    j.details = std::move(details);
    if (j.acked_lost) j.details += kAckedLostSentence;
    return j;
  };
  if (in.dump_error) {
    return corrupt("the engine's own state is inconsistent: " + *in.dump_error + check_too);
  }
  std::optional<std::pair<std::string, std::size_t>> intermediate;
  for (const auto& [key, view] : keys) {
    if (Any(view.matches, 0, n)) continue;
    if (std::optional<std::size_t> t = IntermediateWriter(in, key, view)) {
      if (!intermediate) intermediate.emplace(key, *t);
      continue;
    }
    return corrupt(fmt::format(
        "key {} holds {}, which {} in any state after a prefix of the {} transactions sent{}",
        ShowKey(key), ShowValue(view.got),
        view.writers.empty() ? "no transaction wrote; it is not" : "it never held", n, check_too));
  }
  if (in.check_error) return corrupt("the engine's own check failed: " + *in.check_error);
  if (j.matched_prefix < 0) {
    ClassifyMismatch(in, keys, intermediate, acked, j);
    if (j.acked_lost) j.details += kAckedLostSentence;
    return j;
  }
  const std::size_t matched = static_cast<std::size_t>(j.matched_prefix);
  if (matched < acked) {
    j.verdict = Verdict::kLostAcked;
    j.acked_lost = true;
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
