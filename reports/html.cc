#include "reports/html.h"

#include <fmt/format.h>

namespace crashlab::report {
namespace {

// The length of the valid UTF-8 sequence starting at text[i], or 0.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t n = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2, min = 0x80, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3, min = 0x800, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4, min = 0x10000, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

constexpr std::string_view kStyle = R"css(
:root { --held: #1a7f37; --held-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
        --loss: #9a6700; --loss-bg: #fff8c5; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       padding: 1rem; max-width: 1200px; color: #1f2328; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.8rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
nav a { margin-right: 1rem; }
.scroll { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \25B2"; }
th[aria-sort="descending"]::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.held { background: var(--held-bg); color: var(--held); }
.violated { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.loss { background: var(--loss-bg); color: var(--loss); }
.muted { color: var(--muted); }
pre, code { font: 0.85rem/1.35 ui-monospace, "SFMono-Regular", Menlo, monospace; }
pre { background: #f6f8fa; padding: 0.6rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; border: 1px solid var(--line); }
.failure { border: 1px solid var(--line); border-left: 4px solid var(--bad);
           padding: 0.4rem 0.8rem; margin: 1rem 0; }
.chart { max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1rem; font-size: 0.85rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
          vertical-align: -1px; }
@media (max-width: 600px) { body { font-size: 14px; padding: 0.5rem; } h1 { font-size: 1.3rem; } }
)css";

// Sorts a table's rows by the clicked header's column: data-sort values,
// numerically when both are numbers. A link ending in #sort=TABLE:COLUMN
// (or TABLE:COLUMN:desc) opens the page sorted that way.
constexpr std::string_view kScript = R"js(
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var up = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    var key = function (row) {
      var cell = row.children[col];
      return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
    };
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x.trim() && String(ny) === y.trim())
                  ? nx - ny : x.localeCompare(y);
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
(function () {
  var m = /^#sort=([\w-]+):(\d+)(:desc)?$/.exec(location.hash);
  var table = m && document.getElementById(m[1]);
  var th = table && table.tHead.rows[0].cells[Number(m[2])];
  if (!th) return;
  th.click();
  if (m[3]) th.click();
})();
)js";

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t n = Utf8Length(text, i); n > 0) {
        out.append(text.substr(i, n));
        i += n;
      } else {
        out += fmt::format("\\x{:02X}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\n':
      case '\t':
        out += static_cast<char>(c);
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\x{:02X}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

Cell TextCell(std::string_view text, std::string css_class) {
  return Cell{Escape(text), "", std::move(css_class)};
}

Cell NumberCell(double value, int decimals, std::string css_class) {
  const std::string shown = fmt::format("{:.{}f}", value, decimals);
  return Cell{shown, fmt::format("{}", value), css_class.empty() ? "num" : css_class + " num"};
}

std::string RenderTable(const Table& table) {
  std::string html =
      fmt::format("<div class=\"scroll\"><table class=\"sortable\" id=\"{}\">", Escape(table.id));
  if (!table.caption.empty()) html += "<caption>" + Escape(table.caption) + "</caption>";
  html += "<thead><tr>";
  for (const std::string& h : table.headers) html += "<th scope=\"col\">" + Escape(h) + "</th>";
  html += "</tr></thead><tbody>";
  for (const std::vector<Cell>& row : table.rows) {
    html += "<tr>";
    for (const Cell& cell : row) {
      html += "<td";
      if (!cell.css_class.empty()) html += " class=\"" + Escape(cell.css_class) + "\"";
      if (!cell.sort_key.empty()) html += " data-sort=\"" + Escape(cell.sort_key) + "\"";
      html += ">" + cell.html + "</td>";
    }
    html += "</tr>";
  }
  return html + "</tbody></table></div>\n";
}

std::string Page(std::string_view title, std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{}</title><style>{}</style></head>\n<body>\n{}\n<script>{}</script>\n</body></"
      "html>\n",
      Escape(title), kStyle, body, kScript);
}

}  // namespace crashlab::report
