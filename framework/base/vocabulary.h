// The fixed crash vocabulary of DESIGN.md: crash kinds, contracts and verdicts.
// These exact words are used in the CLI, the results store and the reports.
//
// Inside crashlab the vocabulary is the enums below; the words exist only at
// the edges (the store's columns, the CLI's options, the report's text), each
// parsed once with the Parse functions, whose nullopt the caller turns into
// an error naming what it read. The tables in vocabulary.cc are the one
// source of every word, and of each verdict's colour, class and description:
// the report and its legends draw from VerdictTable(), and a store test
// checks that the schema's CHECK lists equal these words.
#pragma once

#include <array>
#include <optional>
#include <span>
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

// Every value, in the order of its enum: the order the store's CHECK lists,
// the CLI and the reports list them in.
inline constexpr std::array<CrashKind, 2> kCrashKinds = {CrashKind::kKill, CrashKind::kPowerLoss};
inline constexpr std::array<Contract, 3> kContracts = {Contract::kDurable, Contract::kPrefix,
                                                       Contract::kNone};

// One row of the verdict table.
struct VerdictInfo {
  Verdict verdict;
  std::string_view name;    // the word: "lost-acked"
  std::string_view colour;  // the CSS colour the report draws it in: "#cf222e"
  // A durability outcome that lost or damaged data (lost-acked, torn-txn,
  // hole, corrupt, recovery-failed), which a contract may allow; false for
  // pass and for the faults of the engine or its adapter (hang,
  // protocol-error), which fail under every contract.
  bool loss;
  std::string_view description;  // one line, for legends: "part of a transaction is visible"
};

// Every verdict, in the order of Verdict.
std::span<const VerdictInfo> VerdictTable();
// The row of `verdict`.
const VerdictInfo& InfoOf(Verdict verdict);
// A hang or a protocol error: the engine's fault, not what a crash did to its
// data (no recovery time, no state to judge).
bool IsEngineFault(Verdict verdict);

// The words; "?" for a value outside the enum (a cast from a bad integer).
std::string_view Name(CrashKind kind);     // "kill", "power-loss"
std::string_view Name(Contract contract);  // "durable", "prefix", "none"
std::string_view Name(Verdict verdict);    // "pass", "lost-acked", ...

// The value named `name` exactly; nullopt for any other word.
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
// pass; `prefix` allows lost-acked; `none` allows every loss. A hang or a
// protocol error is a fault of the engine or its adapter, not a durability
// outcome (VerdictInfo::loss), so it fails under every contract.
bool Violates(Verdict verdict, Contract contract);

}  // namespace crashlab
