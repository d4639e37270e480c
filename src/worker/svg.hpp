#pragma once
// Minimal inline-SVG charts for the offline HTML report (no JavaScript, no external resources).
#include <string>
#include <vector>

namespace dmde::worker::svg {

/// One polyline (or point set) of a line chart.
struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string color = "#1f77b4";
  bool dashed = false;
  bool points = false;  ///< markers instead of a line (calibration plots)
};

/// A line chart with axes from (x0, y0) to (x1, y1), ticks at fifths, a legend.
std::string line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series, double x0 = 0, double x1 = 1, double y0 = 0, double y1 = 1);

/// A vertical bar chart (labels under the bars, rotated when many); an optional reference line.
std::string bar_chart(const std::string& title, const std::vector<std::string>& labels, const std::vector<double>& values,
                      const std::string& ylabel, double reference = -1);

/// Escapes & < > " for HTML text and attributes.
std::string escape(const std::string& s);

}  // namespace dmde::worker::svg
