#include "worker/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dmde::worker::svg {

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

namespace {
constexpr double W = 460, H = 340, L = 60, R = 20, T = 30, B = 50;  // size and margins (px)

std::string tick(double v) { return std::fabs(v) >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.2g}", v); }

std::string frame(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"11\">"
      "<text x=\"{2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{3}</text>"
      "<text x=\"{2}\" y=\"{4}\" text-anchor=\"middle\">{5}</text>"
      "<text x=\"14\" y=\"{6}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {6})\">{7}</text>"
      "<rect x=\"{8}\" y=\"{9}\" width=\"{10}\" height=\"{11}\" fill=\"none\" stroke=\"#444\"/>",
      W, H, L + (W - L - R) / 2, escape(title), H - 8, escape(xlabel), T + (H - T - B) / 2, escape(ylabel), L, T,
      W - L - R, H - T - B);
}
}  // namespace

std::string line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series, double x0, double x1, double y0, double y1) {
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };
  std::string s = frame(title, xlabel, ylabel);
  for (int k = 0; k <= 5; ++k) {
    const double xv = x0 + (x1 - x0) * k / 5, yv = y0 + (y1 - y0) * k / 5;
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>", px(xv), T, H - B);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>", L, py(yv), W - R);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(xv), H - B + 14, tick(xv));
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", L - 4, py(yv) + 4, tick(yv));
  }
  int row = 0;
  for (const auto& se : series) {
    std::string pts;
    for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i) {
      if (!std::isfinite(se.x[i]) || !std::isfinite(se.y[i])) continue;
      const double cx = px(std::clamp(se.x[i], x0, x1)), cy = py(std::clamp(se.y[i], y0, y1));
      if (se.points)
        s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", cx, cy, se.color);
      else
        pts += fmt::format("{:.1f},{:.1f} ", cx, cy);
    }
    if (!se.points)
      s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{} points=\"{}\"/>", se.color,
                       se.dashed ? " stroke-dasharray=\"5,4\"" : "", pts);
    if (!se.name.empty())
      s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"/>"
                       "<text x=\"{4}\" y=\"{5}\">{6}</text>",
                       L + 10, T + 14 + 14 * row, L + 28, se.color, L + 32, T + 18 + 14 * row, escape(se.name));
    ++row;
  }
  return s + "</svg>";
}

std::string bar_chart(const std::string& title, const std::vector<std::string>& labels, const std::vector<double>& values,
                      const std::string& ylabel, double reference) {
  double top = reference > 0 ? reference : 0;
  for (double v : values)
    if (std::isfinite(v)) top = std::max(top, v);
  if (!(top > 0)) top = 1;
  top *= 1.1;
  const double n = static_cast<double>(std::max<std::size_t>(values.size(), 1));
  const double bw = (W - L - R) / n;
  auto py = [&](double y) { return H - B - y / top * (H - T - B); };
  std::string s = frame(title, "", ylabel);
  for (int k = 0; k <= 5; ++k)
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", L - 4, py(top * k / 5) + 4,
                     tick(top * k / 5));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = std::isfinite(values[i]) ? values[i] : 0;
    const double x = L + bw * static_cast<double>(i);
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#4c78a8\"><title>{}: "
                     "{:.4g}</title></rect>",
                     x + bw * 0.1, py(v), bw * 0.8, H - B - py(v), escape(i < labels.size() ? labels[i] : ""), v);
    if (values.size() <= 24 && i < labels.size())
      s += fmt::format("<text x=\"{0:.1f}\" y=\"{1}\" text-anchor=\"end\" transform=\"rotate(-35 {0:.1f} {1})\">{2}</text>",
                       x + bw / 2, H - B + 12, escape(labels[i].substr(0, 14)));
  }
  if (reference > 0)
    s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#d62728\" "
                     "stroke-dasharray=\"5,4\"/>",
                     L, py(reference), W - R);
  return s + "</svg>";
}

}  // namespace dmde::worker::svg
