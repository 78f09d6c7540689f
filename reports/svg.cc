#include "reports/svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reports/html.h"

namespace crashlab::report {
namespace {

// A round axis maximum at or above `v`: 1, 2 or 5 times a power of ten.
double NiceMax(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (v <= m * p) return m * p;
  }
  return 10 * p;
}

std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e12) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

struct LegendEntry {
  std::string label, colour, description;
};

std::string Legend(const std::vector<LegendEntry>& entries) {
  std::string html = "<div class=\"legend\">";
  for (const LegendEntry& e : entries) {
    const std::string title =
        e.description.empty() ? "" : fmt::format(" title=\"{}\"", Escape(e.description));
    html += fmt::format("<span{}><i class=\"swatch\" style=\"background:{}\"></i>{}</span>", title,
                        Escape(e.colour), Escape(e.label));
  }
  return html + "</div>";
}

// An <svg> of `w` x `h` with id `id`, its x and y axes around the plot
// area (left, top, width, height) and the y axis' label.
std::string Frame(const std::string& id, int w, int h, double left, double top, double pw,
                  double ph, const std::string& y_label) {
  return fmt::format(
      "<svg class=\"chart\" id=\"{}\" role=\"img\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" font-size=\"11\">"
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#57606a\"/>"
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#57606a\"/>"
      "<text x=\"12\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1f})\">"
      "{}</text>",
      Escape(id), w, h, w, h, left, top + ph, left + pw, top + ph, left, top, left, top + ph,
      top + ph / 2, top + ph / 2, Escape(y_label));
}

}  // namespace

Segment VerdictSegment(Verdict verdict, int64_t count) {
  const VerdictInfo& v = InfoOf(verdict);
  return Segment{std::string(v.name), static_cast<double>(count), std::string(v.colour),
                 std::string(v.description)};
}

std::string StackedBars(const std::string& id, const std::vector<Bar>& bars) {
  constexpr int kLabelWidth = 300, kBarWidth = 600, kRow = 22;
  const int height = static_cast<int>(bars.size()) * kRow + 4;
  std::string svg = fmt::format(
      "<svg class=\"chart\" id=\"{}\" role=\"img\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\">",
      Escape(id), kLabelWidth + kBarWidth, height, kLabelWidth + kBarWidth, height);
  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const int y = static_cast<int>(i) * kRow + 2;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
                       kLabelWidth - 6, y + 14, Escape(bar.label));
    double total = 0;
    for (const Segment& s : bar.segments) total += s.value;
    double x = kLabelWidth;
    for (const Segment& s : bar.segments) {
      if (s.value <= 0 || total <= 0) continue;
      const double w = kBarWidth * s.value / total;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
          "<title>{}: {} {} ({:.1f} %)</title></rect>",
          x, y, w, kRow - 4, Escape(s.colour), Escape(bar.label), Number(s.value), Escape(s.label),
          100 * s.value / total);
      x += w;
      if (std::none_of(legend.begin(), legend.end(),
                       [&](const LegendEntry& e) { return e.label == s.label; })) {
        legend.push_back({s.label, s.colour, s.description});
      }
    }
  }
  return svg + "</svg>" + Legend(legend);
}

std::string Scatter(const std::string& id, const std::vector<Point>& points,
                    const std::string& x_label, const std::string& y_label) {
  constexpr int kW = 640, kH = 360, kLeft = 60, kBottom = 44, kTop = 12, kRight = 160;
  double max_x = 0, max_y = 0;
  for (const Point& p : points) {
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  max_x = NiceMax(max_x);
  max_y = NiceMax(max_y);
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  std::string svg = Frame(id, kW, kH, kLeft, kTop, pw, ph, y_label);
  for (int t = 0; t <= 4; ++t) {
    const double fx = kLeft + pw * t / 4, fy = kTop + ph - ph * t / 4;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", fx,
                       kTop + ph + 14, Number(max_x * t / 4));
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", kLeft - 4,
                       fy + 4, Number(max_y * t / 4));
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", kLeft + pw / 2,
                     kH - 6, Escape(x_label));
  for (const Point& p : points) {
    const double x = kLeft + pw * p.x / max_x, y = kTop + ph - ph * p.y / max_y;
    svg += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"><title>{}: {} {}, {} {}"
        "</title></circle><text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>",
        x, y, Escape(p.colour), Escape(p.label), Number(p.x), Escape(x_label), Number(p.y),
        Escape(y_label), x + 7, y + 4, Escape(p.label));
  }
  return svg + "</svg>";
}

std::string Lines(const std::string& id, const std::vector<std::string>& x_labels,
                  const std::vector<Series>& series, const std::string& y_label) {
  constexpr int kW = 640, kH = 260, kLeft = 60, kBottom = 40, kTop = 12, kRight = 20;
  double max_y = 0;
  for (const Series& s : series) {
    for (double v : s.values) {
      if (!std::isnan(v)) max_y = std::max(max_y, v);
    }
  }
  max_y = NiceMax(max_y);
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const std::size_t n = x_labels.size();
  auto px = [&](std::size_t i) { return kLeft + (n <= 1 ? pw / 2 : pw * i / (n - 1)); };
  auto py = [&](double v) { return kTop + ph - ph * v / max_y; };
  std::string svg = Frame(id, kW, kH, kLeft, kTop, pw, ph, y_label);
  for (int t = 0; t <= 4; ++t) {
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", kLeft - 4,
                       py(max_y * t / 4) + 4, Number(max_y * t / 4));
  }
  const std::size_t step = std::max<std::size_t>(1, n / 8);
  for (std::size_t i = 0; i < n; i += step) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(i),
                       kTop + ph + 14, Escape(x_labels[i]));
  }
  std::vector<LegendEntry> legend;
  for (const Series& s : series) {
    std::string path;
    for (std::size_t i = 0; i < s.values.size() && i < n; ++i) {
      if (std::isnan(s.values[i])) continue;
      path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", px(i), py(s.values[i]));
      svg += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{} {}: {}</title>"
          "</circle>",
          px(i), py(s.values[i]), Escape(s.colour), Escape(s.label), Escape(x_labels[i]),
          Number(s.values[i]));
    }
    if (!path.empty()) {
      svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", path,
                         Escape(s.colour));
    }
    legend.push_back({s.label, s.colour, ""});
  }
  return svg + "</svg>" + Legend(legend);
}

}  // namespace crashlab::report
