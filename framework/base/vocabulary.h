// The fixed crash vocabulary of DESIGN.md: crash kinds, contracts and verdicts.
// These exact words are used in the CLI, the results store and the reports.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crashlab {

enum class CrashKind { kKill, kPowerLoss };
enum class Contract { kDurable, kPrefix, kNone };
enum class Verdict {
  kPass,
  kLostAcked,       // an acknowledged transaction is missing
  kTornTxn,         // part of a transaction is visible
  kHole,            // a later transaction is visible while an earlier one is missing
  kCorrupt,         // data no transaction wrote, or the engine's own check failed
  kRecoveryFailed,  // open failed or the engine died during recovery
  kHang,            // a deadline passed
  kProtocolError,   // the engine broke the protocol
};

std::string_view Name(CrashKind kind);     // "kill", "power-loss"
std::string_view Name(Contract contract);  // "durable", "prefix", "none"
std::string_view Name(Verdict verdict);    // "pass", "lost-acked", ...

std::optional<CrashKind> ParseCrashKind(std::string_view name);
std::optional<Contract> ParseContract(std::string_view name);
std::optional<Verdict> ParseVerdict(std::string_view name);

// For hole, torn-txn and corrupt, a judgement's details end with this clause
// exactly when acknowledged data is lost too (Judgement::acked_lost), so that
// a stored failure keeps it (store/signature.h reads it back).
inline constexpr std::string_view kAckedLostSentence = "; acknowledged data is lost";

// A campaign's crash kinds: "kill", "power-loss" or both comma-separated
// ("kill,power-loss" or "power-loss,kill"), each once. Returned in the order
// of CrashKind, so that both spellings name the same campaign; nullopt for
// anything else.
std::optional<std::vector<CrashKind>> ParseCrashKinds(std::string_view list);
// The canonical text of a list ParseCrashKinds returned: "kill,power-loss".
std::string CrashKindsName(const std::vector<CrashKind>& kinds);

// Whether `verdict` breaks `contract`. `durable` forbids every verdict but
// pass; `prefix` allows lost-acked; `none` allows every state verdict. A hang
// or a protocol error is a fault of the engine or its adapter, not a
// durability outcome, so it fails under every contract.
bool Violates(Verdict verdict, Contract contract);

}  // namespace crashlab
