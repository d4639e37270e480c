#include "model/association.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dmde::model {

double weighted_pearson(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<const Eigen::VectorXd> y,
                        Eigen::Ref<const Eigen::VectorXd> w) {
  if (x.size() != y.size() || x.size() != w.size()) throw std::invalid_argument("weighted_pearson: sizes differ");
  // Two passes (means, then centred sums) for accuracy.
  double sw = 0, sx = 0, sy = 0;
  Eigen::Index m = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    sw += w[i], sx += w[i] * x[i], sy += w[i] * y[i], ++m;
  }
  if (m < 2 || sw <= 0) return std::numeric_limits<double>::quiet_NaN();
  const double mx = sx / sw, my = sy / sw;
  double sxx = 0, syy = 0, sxy = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += w[i] * dx * dx, syy += w[i] * dy * dy, sxy += w[i] * dx * dy;
  }
  if (sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

double cramers_v(Eigen::Ref<const Eigen::VectorXi> a, int ka, Eigen::Ref<const Eigen::VectorXi> b, int kb,
                 Eigen::Ref<const Eigen::VectorXd> w) {
  if (a.size() != b.size() || a.size() != w.size()) throw std::invalid_argument("cramers_v: sizes differ");
  if (ka < 1 || kb < 1) throw std::invalid_argument("cramers_v: no class");
  std::vector<double> t(static_cast<std::size_t>(ka * kb), 0.0);
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const int x = a[i], y = b[i];
    if (x < 0 || x >= ka || y < 0 || y >= kb) throw std::invalid_argument("cramers_v: code out of range");
    t[static_cast<std::size_t>(x * kb + y)] += w[i];
  }
  std::vector<double> ra(static_cast<std::size_t>(ka), 0.0), cb(static_cast<std::size_t>(kb), 0.0);
  double n = 0;
  for (int x = 0; x < ka; ++x)
    for (int y = 0; y < kb; ++y) {
      const double v = t[static_cast<std::size_t>(x * kb + y)];
      ra[static_cast<std::size_t>(x)] += v, cb[static_cast<std::size_t>(y)] += v, n += v;
    }
  const auto ea = std::count_if(ra.begin(), ra.end(), [](double v) { return v > 0; });
  const auto eb = std::count_if(cb.begin(), cb.end(), [](double v) { return v > 0; });
  const auto k = std::min(ea, eb);
  if (k < 2 || n <= 0) return 0.0;
  double chi2 = 0;
  for (int x = 0; x < ka; ++x) {
    if (ra[static_cast<std::size_t>(x)] <= 0) continue;
    for (int y = 0; y < kb; ++y) {
      if (cb[static_cast<std::size_t>(y)] <= 0) continue;
      const double e = ra[static_cast<std::size_t>(x)] * cb[static_cast<std::size_t>(y)] / n;
      const double d = t[static_cast<std::size_t>(x * kb + y)] - e;
      chi2 += d * d / e;
    }
  }
  return std::sqrt(std::min(1.0, chi2 / (n * double(k - 1))));
}

std::vector<int> average_linkage_clusters(Eigen::Ref<const Eigen::MatrixXd> dist, double threshold) {
  const Eigen::Index p = dist.rows();
  if (dist.cols() != p) throw std::invalid_argument("average_linkage_clusters: distance matrix not square");
  Eigen::MatrixXd d = dist;
  std::vector<Eigen::Index> size(static_cast<std::size_t>(p), 1);
  std::vector<Eigen::Index> owner(static_cast<std::size_t>(p));  // current cluster slot of each item
  for (Eigen::Index i = 0; i < p; ++i) owner[static_cast<std::size_t>(i)] = i;
  std::vector<bool> alive(static_cast<std::size_t>(p), true);
  for (;;) {
    Eigen::Index bi = -1, bj = -1;
    double best = std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < p; ++i) {
      if (!alive[static_cast<std::size_t>(i)]) continue;
      for (Eigen::Index j = i + 1; j < p; ++j)
        if (alive[static_cast<std::size_t>(j)] && d(i, j) < best) best = d(i, j), bi = i, bj = j;
    }
    if (bi < 0 || !(best <= threshold)) break;
    // Lance-Williams update for average linkage: slot bi absorbs bj.
    const double si = double(size[static_cast<std::size_t>(bi)]), sj = double(size[static_cast<std::size_t>(bj)]);
    for (Eigen::Index k = 0; k < p; ++k) {
      if (!alive[static_cast<std::size_t>(k)] || k == bi || k == bj) continue;
      d(bi, k) = d(k, bi) = (si * d(bi, k) + sj * d(bj, k)) / (si + sj);
    }
    size[static_cast<std::size_t>(bi)] += size[static_cast<std::size_t>(bj)];
    alive[static_cast<std::size_t>(bj)] = false;
    for (auto& o : owner)
      if (o == bj) o = bi;
  }
  // Number clusters by their smallest member (slots are already the smallest member's index).
  std::vector<int> out(static_cast<std::size_t>(p)), label(static_cast<std::size_t>(p), -1);
  int next = 0;
  for (Eigen::Index i = 0; i < p; ++i) {
    auto& l = label[static_cast<std::size_t>(owner[static_cast<std::size_t>(i)])];
    if (l < 0) l = next++;
    out[static_cast<std::size_t>(i)] = l;
  }
  return out;
}

std::vector<int> cluster_representatives(const std::vector<int>& cluster, const std::vector<double>& score) {
  if (cluster.size() != score.size()) throw std::invalid_argument("cluster_representatives: sizes differ");
  const int k = cluster.empty() ? 0 : *std::max_element(cluster.begin(), cluster.end()) + 1;
  std::vector<int> rep(static_cast<std::size_t>(k), -1);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    auto& r = rep[static_cast<std::size_t>(cluster[i])];
    if (r < 0 || score[i] > score[static_cast<std::size_t>(r)]) r = static_cast<int>(i);
  }
  return rep;
}

}  // namespace dmde::model
