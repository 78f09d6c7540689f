// The HTML pieces a report is built from: escaping of every text that comes
// from outside (engines, command lines, file names), sortable tables, and the
// page shell with its inline style and script. A report is one self-contained
// file: nothing here refers to anything outside it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crashlab::report {

// `text` made safe as HTML text or as a quoted attribute value: & < > " '
// become entities, and bytes that are not valid UTF-8 or are control
// characters (other than tab and newline) become a visible \xNN, so binary
// junk from an engine can neither break the page nor run as script.
std::string Escape(std::string_view text);

// One cell of a table: its HTML (already escaped or built here) and the
// value a click on the column's header sorts by (a number sorts
// numerically; empty: the cell's text).
struct Cell {
  std::string html;
  std::string sort_key;
  std::string css_class;  // e.g. "held", "violated"
};

// A cell showing `text`, escaped.
Cell TextCell(std::string_view text, std::string css_class = "");
// A cell showing a number, sorted as one.
Cell NumberCell(double value, int decimals = 0, std::string css_class = "");

struct Table {
  std::string id;                    // the element id, for tests and links
  std::vector<std::string> headers;  // plain text
  std::vector<std::vector<Cell>> rows;
  std::string caption;  // plain text, may be empty
};

// The table as HTML; its headers sort the rows when clicked (Page's script).
std::string RenderTable(const Table& table);

// The whole document: `title` (plain text) and `body` (HTML), with the
// report's style and the table-sorting script inline.
std::string Page(std::string_view title, std::string_view body);

}  // namespace crashlab::report
