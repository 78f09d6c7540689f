// crashlab report: the results database as one self-contained HTML file
// (reports/report.h).
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "framework/cli/common.h"
#include "framework/store/durable_file.h"
#include "reports/report.h"

namespace crashlab::cli {
namespace {

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  struct Args {
    std::string db = "crashlab.db", out = "report.html";
    std::vector<int64_t> campaigns;
    int pages = 40;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML report of a results database: campaigns, the variants x "
      "crash kind matrix, the variants side by side, every failure with its I/O timeline, and "
      "trends per night");
  cmd->add_option("--db", a->db, "Results database")->capture_default_str();
  cmd->add_option("--campaign", a->campaigns, "Only these campaigns (repeatable); default all")
      ->check(CLI::Range(int64_t{1}, int64_t{INT64_MAX}));
  cmd->add_option("-o,--output", a->out, "The HTML file to write")->capture_default_str();
  cmd->add_option("--failure-pages", a->pages,
                  "Failures told in full with their timeline (the rest are listed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->callback([a, &exit_code] {
    std::error_code ec;
    if (!std::filesystem::exists(a->db, ec)) {
      fmt::print(stderr, "crashlab: {} does not exist: pass the --db a campaign wrote\n", a->db);
      exit_code = kExitUsage;
      return;
    }
    report::ReportOptions o;
    o.db_path = a->db;
    o.campaigns = a->campaigns;
    o.generated_at = UtcNow();
    o.failure_pages = a->pages;
    Result<std::string> html = report::RenderReport(o);
    if (!html.ok()) {
      fmt::print(stderr, "crashlab: report: {}\n", html.status().message());
      exit_code = kExitUsage;
      return;
    }
    // DURABILITY: written aside, synced, renamed in and the directory synced
    // (ReplaceFileDurably): neither a reader nor a crash, nor a power loss,
    // ever finds half a report under the name it was asked for.
    if (Status written = ReplaceFileDurably(a->out, *html); !written.ok()) {
      fmt::print(stderr, "crashlab: report: {}; choose a writable -o path\n", written.message());
      exit_code = kExitUsage;
      return;
    }
    fmt::print("report: {} ({} KB)\n", std::filesystem::absolute(a->out, ec).string(),
               (html->size() + 1023) / 1024);
    exit_code = kExitHeld;
  });
}

}  // namespace crashlab::cli
