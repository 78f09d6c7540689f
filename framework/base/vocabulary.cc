#include "framework/base/vocabulary.h"

#include <algorithm>
#include <array>
#include <utility>

namespace crashlab {
namespace {

constexpr std::array<std::pair<CrashKind, std::string_view>, 2> kCrashKinds{{
    {CrashKind::kKill, "kill"},
    {CrashKind::kPowerLoss, "power-loss"},
}};
constexpr std::array<std::pair<Contract, std::string_view>, 3> kContracts{{
    {Contract::kDurable, "durable"},
    {Contract::kPrefix, "prefix"},
    {Contract::kNone, "none"},
}};
constexpr std::array<std::pair<Verdict, std::string_view>, 8> kVerdicts{{
    {Verdict::kPass, "pass"},
    {Verdict::kLostAcked, "lost-acked"},
    {Verdict::kTornTxn, "torn-txn"},
    {Verdict::kHole, "hole"},
    {Verdict::kCorrupt, "corrupt"},
    {Verdict::kRecoveryFailed, "recovery-failed"},
    {Verdict::kHang, "hang"},
    {Verdict::kProtocolError, "protocol-error"},
}};

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

std::string_view Name(CrashKind kind) { return NameOf(kCrashKinds, kind); }
std::string_view Name(Contract contract) { return NameOf(kContracts, contract); }
std::string_view Name(Verdict verdict) { return NameOf(kVerdicts, verdict); }
std::optional<CrashKind> ParseCrashKind(std::string_view name) { return Parse(kCrashKinds, name); }
std::optional<Contract> ParseContract(std::string_view name) { return Parse(kContracts, name); }
std::optional<Verdict> ParseVerdict(std::string_view name) { return Parse(kVerdicts, name); }

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
  switch (verdict) {
    case Verdict::kPass:
      return false;
    case Verdict::kHang:
    case Verdict::kProtocolError:
      return true;
    case Verdict::kLostAcked:
      return contract == Contract::kDurable;
    default:
      return contract != Contract::kNone;
  }
}

}  // namespace crashlab
