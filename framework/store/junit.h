// JUnit XML for CI systems: every recorded case of a campaign becomes a test
// case, every violation a failure that carries its details and its repro
// command, so a CI page lists each failure where engineers look.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "framework/store/results_store.h"

namespace crashlab {

// Writes `cases` to `path` as JUnit XML: one <testsuite> per engine, variant
// and crash kind ("sqlite/wal-full/power-loss"), one <testcase> per case
// ("case 7"), a <failure> for each violation with the verdict, contract,
// details, crash plan and `repro(case)`. Written with ReplaceFileDurably, so
// neither a reader nor a crash ever sees half a report under `path`.
[[nodiscard]] Status WriteJUnit(const std::string& path, const std::vector<CaseRecord>& cases,
                                const std::function<std::string(const CaseRecord&)>& repro);

// `text` made safe inside XML character data and attribute values: markup
// characters escaped; control characters XML 1.0 forbids, and bytes past
// ASCII (which may not be UTF-8), replaced by '?'.
std::string XmlEscape(const std::string& text);

}  // namespace crashlab
