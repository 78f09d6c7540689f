// Inline SVG charts for the report: stacked bars (verdicts per variant), a
// scatter plot (durability against cost) and lines (trends per night). Each
// returns one <svg> element that scales with the page; every label is
// escaped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/base/vocabulary.h"

namespace crashlab::report {

struct Segment {
  std::string label;  // its series (a verdict)
  double value = 0;
  std::string colour;
  std::string description;  // the legend's tooltip; "" for none
};

// `count` cases of `verdict`: its word, colour and description from the
// vocabulary table (VerdictTable).
Segment VerdictSegment(Verdict verdict, int64_t count);

struct Bar {
  std::string label;  // e.g. "sqlite/wal-full power-loss"
  std::vector<Segment> segments;
};

// Horizontal bars, one per row, each split into its segments in proportion
// (every bar is 100 %), with the counts in a tooltip and a legend below.
std::string StackedBars(const std::string& id, const std::vector<Bar>& bars);

struct Point {
  std::string label;
  double x = 0, y = 0;
  std::string colour;
};

// Points on linear axes from 0 to the largest value, labelled.
std::string Scatter(const std::string& id, const std::vector<Point>& points,
                    const std::string& x_label, const std::string& y_label);

struct Series {
  std::string label;
  std::string colour;
  std::vector<double> values;  // one per x label; NaN: no value
};

// Lines over categorical x labels (nights), with a legend.
std::string Lines(const std::string& id, const std::vector<std::string>& x_labels,
                  const std::vector<Series>& series, const std::string& y_label);

}  // namespace crashlab::report
