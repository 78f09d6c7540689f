// ResultsStore's soak bookkeeping (crashlab soak): the soaks row, its
// campaigns, and what a resume needs to know.
#include <sqlite3.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "framework/store/results_store.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {
namespace {

using results_store_sql::Binder;
using results_store_sql::ColumnText;
using results_store_sql::ResetOnExit;
using results_store_sql::SeedFits;
using results_store_sql::SeedTooLarge;
using results_store_sql::WordReader;

}  // namespace

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

Result<int64_t> ResultsStore::BeginSoak(const SoakInfo& info) {
  if (!SeedFits(info.seed)) return Fail("beginning a soak: " + SeedTooLarge(info.seed));
  if (info.duration_s <= 0) return Fail("beginning a soak: its duration must be positive");
  Result<sqlite3_stmt*> stmt =
      Prepared(insert_soak_,
               "INSERT INTO soaks (command_line, settings, seed, duration_s, host, pid) VALUES "
               "(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  const std::string host = Hostname();
  Binder bind(*stmt);
  bind.Text(info.command_line).Text(info.settings).Int(static_cast<int64_t>(info.seed));
  bind.Int(info.duration_s).Text(host).Int(getpid());
  if (!bind.ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error("beginning a soak");
  return sqlite3_last_insert_rowid(db_.get());
}

Status ResultsStore::AddCampaignToSoak(int64_t soak_id, int64_t campaign_id,
                                       const std::string& shape, int64_t txns) {
  const std::string what = fmt::format("adding campaign {} to soak {}", campaign_id, soak_id);
  Result<sqlite3_stmt*> stmt = Prepared(
      insert_soak_campaign_,
      "INSERT INTO soak_campaigns (soak_id, campaign_id, shape, txns) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Int(soak_id).Int(campaign_id).Text(shape).Int(txns);
  if (!bind.ok()) return Error(what);
  if (sqlite3_step(*stmt) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return Fail(what + ": no such soak or campaign");
    }
    return Error(what);
  }
  return Status::Ok();
}

Status ResultsStore::SetSoakElapsed(int64_t soak_id, int64_t elapsed_ms) {
  const std::string what = fmt::format("recording the time spent by soak {}", soak_id);
  Result<sqlite3_stmt*> stmt =
      Prepared(soak_elapsed_, "UPDATE soaks SET elapsed_ms = ?1 WHERE id = ?2");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Int(elapsed_ms).Int(soak_id);
  if (!bind.ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error(what);
  if (sqlite3_changes(db_.get()) == 0) return Fail(what + ": no such soak");
  return Status::Ok();
}

Status ResultsStore::FinishSoak(int64_t soak_id, const std::string& status) {
  return Finish(finish_soak_, "soaks", "soak", soak_id, status);
}

Result<std::optional<StoredSoak>> ResultsStore::LatestUnfinishedSoak() {
  const char* what = "finding the soak to resume";
  Statement soak_slot;
  Result<sqlite3_stmt*> stmt = Prepared(
      soak_slot,
      "SELECT id, status, command_line, settings, host, pid, seed, duration_s, elapsed_ms FROM "
      "soaks WHERE status != 'finished' ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  int rc = sqlite3_step(*stmt);
  if (rc == SQLITE_DONE) return std::optional<StoredSoak>();
  if (rc != SQLITE_ROW) return Error(what);
  StoredSoak soak;
  soak.id = sqlite3_column_int64(*stmt, 0);
  soak.status = ColumnText(*stmt, 1);
  soak.command_line = ColumnText(*stmt, 2);
  soak.settings = ColumnText(*stmt, 3);
  soak.host = ColumnText(*stmt, 4);
  soak.pid = sqlite3_column_int64(*stmt, 5);
  soak.seed = static_cast<uint64_t>(sqlite3_column_int64(*stmt, 6));
  soak.duration_s = sqlite3_column_int64(*stmt, 7);
  soak.elapsed_ms = sqlite3_column_int64(*stmt, 8);
  soak_slot.reset();  // ends the read before the next statement

  Statement campaigns_slot;
  stmt = Prepared(campaigns_slot,
                  "SELECT s.campaign_id, c.engine, s.shape, s.txns FROM soak_campaigns s JOIN "
                  "campaigns c ON c.id = s.campaign_id WHERE s.soak_id = ?1 ORDER BY "
                  "s.campaign_id");
  if (!stmt.ok()) return stmt.status();
  if (!Binder(*stmt).Int(soak.id).ok()) return Error(what);
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    soak.campaigns.push_back({sqlite3_column_int64(*stmt, 0), ColumnText(*stmt, 1),
                              ColumnText(*stmt, 2), sqlite3_column_int64(*stmt, 3)});
  }
  if (rc != SQLITE_DONE) return Error(what);
  return std::optional<StoredSoak>(std::move(soak));
}

Status ResultsStore::ReopenSoak(int64_t soak_id) {
  const std::string what = fmt::format("resuming soak {}", soak_id);
  return InTransaction(what.c_str(), [&]() -> Status {
    const std::string host = Hostname();
    const std::string sql = fmt::format(
        "UPDATE soaks SET status = 'running', finished_at = NULL, resumes = resumes + 1, "
        "host = ?1, pid = {} WHERE id = {}",
        getpid(), soak_id);
    Statement slot;
    Result<sqlite3_stmt*> stmt = Prepared(slot, sql.c_str());
    if (!stmt.ok()) return stmt.status();
    if (!Binder(*stmt).Text(host).ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error(what);
    if (sqlite3_changes(db_.get()) == 0) return Fail(what + ": no such soak");
    const std::string campaigns = fmt::format(
        "UPDATE campaigns SET status = 'running', finished_at = NULL WHERE id IN (SELECT "
        "campaign_id FROM soak_campaigns WHERE soak_id = {})",
        soak_id);
    if (sqlite3_exec(db_.get(), campaigns.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Error(what);
    }
    return Status::Ok();
  });
}

Result<std::vector<CaseGroup>> ResultsStore::CaseGroupsOfSoak(int64_t soak_id) {
  const std::string what = fmt::format("counting the cases of soak {}", soak_id);
  Statement slot;
  Result<sqlite3_stmt*> stmt = Prepared(
      slot,
      "SELECT c.campaign_id, c.variant, c.crash_kind, c.contract, c.verdict, count(*), "
      "sum(c.violation), max(c.case_index) FROM cases c JOIN soak_campaigns s ON s.campaign_id "
      "= c.campaign_id WHERE s.soak_id = ?1 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5");
  if (!stmt.ok()) return stmt.status();
  if (!Binder(*stmt).Int(soak_id).ok()) return Error(what);
  std::vector<CaseGroup> groups;
  int rc;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    CaseGroup g;
    g.campaign_id = sqlite3_column_int64(*stmt, 0);
    g.variant = ColumnText(*stmt, 1);
    WordReader words(*stmt,
                     fmt::format("the cases of campaign {} variant {}", g.campaign_id, g.variant));
    g.crash_kind = words.Kind(2);
    g.contract = words.ContractAt(3);
    g.verdict = words.VerdictAt(4);
    if (!words.error().empty()) return Fail(what + ": " + words.error());
    g.cases = sqlite3_column_int64(*stmt, 5);
    g.violations = sqlite3_column_int64(*stmt, 6);
    g.max_case_index = sqlite3_column_int64(*stmt, 7);
    groups.push_back(std::move(g));
  }
  if (rc != SQLITE_DONE) return Error(what);
  return groups;
}

}  // namespace crashlab
