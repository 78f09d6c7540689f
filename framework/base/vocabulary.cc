#include "framework/base/vocabulary.h"

#include <algorithm>
#include <utility>

namespace crashlab {
namespace {

constexpr std::array<std::pair<CrashKind, std::string_view>, 2> kCrashKindNames{{
    {CrashKind::kKill, "kill"},
    {CrashKind::kPowerLoss, "power-loss"},
}};
constexpr std::array<std::pair<Contract, std::string_view>, 3> kContractNames{{
    {Contract::kDurable, "durable"},
    {Contract::kPrefix, "prefix"},
    {Contract::kNone, "none"},
}};

// The verdicts of DESIGN.md ("Oracle and verdicts"). A new verdict needs a
// row here and a schema migration for the CHECK lists of results_store's
// cases table (results_store_schema_test.cc fails until both agree).
constexpr std::array<VerdictInfo, 8> kVerdictTable{{
    {Verdict::kPass, "pass", "#2da44e", false,
     "the recovered state is a prefix holding every acknowledged transaction"},
    {Verdict::kLostAcked, "lost-acked", "#cf222e", true,
     "acknowledged transactions are missing, and nothing else is wrong"},
    {Verdict::kTornTxn, "torn-txn", "#bc4c00", true, "part of a transaction is visible"},
    {Verdict::kHole, "hole", "#8250df", true,
     "a later transaction is visible while an earlier one is missing"},
    {Verdict::kCorrupt, "corrupt", "#a40e26", true,
     "data no transaction wrote, or the engine's own check failed"},
    {Verdict::kRecoveryFailed, "recovery-failed", "#d4a72c", true,
     "open failed or the engine died during recovery"},
    {Verdict::kHang, "hang", "#57606a", false, "a deadline passed (the engine's fault)"},
    {Verdict::kProtocolError, "protocol-error", "#0969da", false,
     "the engine broke the protocol (the engine's fault)"},
}};

constexpr bool TableFollowsEnum() {
  for (std::size_t i = 0; i < kVerdictTable.size(); ++i) {
    if (kVerdictTable[i].verdict != static_cast<Verdict>(i)) return false;
  }
  return true;
}
static_assert(TableFollowsEnum(), "kVerdictTable lists every Verdict once, in enum order");

template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table,
                       std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace

std::span<const VerdictInfo> VerdictTable() { return kVerdictTable; }

const VerdictInfo& InfoOf(Verdict verdict) {
  const auto i = static_cast<std::size_t>(verdict);
  // A value outside the enum is read as corrupt: the harshest state verdict,
  // never a pass.
  return i < kVerdictTable.size() ? kVerdictTable[i]
                                  : kVerdictTable[static_cast<std::size_t>(Verdict::kCorrupt)];
}

bool IsEngineFault(Verdict verdict) { return verdict != Verdict::kPass && !InfoOf(verdict).loss; }

std::string_view Name(CrashKind kind) { return NameOf(kCrashKindNames, kind); }
std::string_view Name(Contract contract) { return NameOf(kContractNames, contract); }
std::string_view Name(Verdict verdict) {
  const auto i = static_cast<std::size_t>(verdict);
  return i < kVerdictTable.size() ? kVerdictTable[i].name : "?";
}
std::optional<CrashKind> ParseCrashKind(std::string_view name) {
  return Parse(kCrashKindNames, name);
}
std::optional<Contract> ParseContract(std::string_view name) { return Parse(kContractNames, name); }
std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (const VerdictInfo& v : kVerdictTable) {
    if (v.name == name) return v.verdict;
  }
  return std::nullopt;
}

std::optional<std::vector<CrashKind>> ParseCrashKinds(std::string_view list) {
  std::vector<CrashKind> kinds;
  while (true) {
    const std::size_t comma = list.find(',');
    std::optional<CrashKind> kind = ParseCrashKind(list.substr(0, comma));
    if (!kind || std::find(kinds.begin(), kinds.end(), *kind) != kinds.end()) return std::nullopt;
    kinds.push_back(*kind);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

std::string CrashKindsName(const std::vector<CrashKind>& kinds) {
  std::string text;
  for (CrashKind kind : kinds) text += (text.empty() ? "" : ",") + std::string(Name(kind));
  return text;
}

bool Violates(Verdict verdict, Contract contract) {
  if (verdict == Verdict::kPass) return false;
  if (!InfoOf(verdict).loss) return true;  // the engine's fault, under every contract
  if (verdict == Verdict::kLostAcked) return contract == Contract::kDurable;
  return contract != Contract::kNone;
}

}  // namespace crashlab
