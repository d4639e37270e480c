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

double cramers_v_table(Eigen::Ref<const Eigen::MatrixXd> t) {
  const Eigen::VectorXd ra = t.rowwise().sum(), cb = t.colwise().sum().transpose();
  const double n = ra.sum();
  const auto ea = (ra.array() > 0).count(), eb = (cb.array() > 0).count();
  const auto k = std::min(ea, eb);
  if (k < 2 || n <= 0) return 0.0;
  double chi2 = 0;
  for (Eigen::Index x = 0; x < t.rows(); ++x) {
    if (ra[x] <= 0) continue;
    for (Eigen::Index y = 0; y < t.cols(); ++y) {
      if (cb[y] <= 0) continue;
      const double e = ra[x] * cb[y] / n, d = t(x, y) - e;
      chi2 += d * d / e;
    }
  }
  return std::sqrt(std::min(1.0, chi2 / (n * double(k - 1))));
}

double cramers_v(Eigen::Ref<const Eigen::VectorXi> a, int ka, Eigen::Ref<const Eigen::VectorXi> b, int kb,
                 Eigen::Ref<const Eigen::VectorXd> w) {
  if (a.size() != b.size() || a.size() != w.size()) throw std::invalid_argument("cramers_v: sizes differ");
  if (ka < 1 || kb < 1) throw std::invalid_argument("cramers_v: no class");
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(ka, kb);
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (a[i] < 0 || a[i] >= ka || b[i] < 0 || b[i] >= kb) throw std::invalid_argument("cramers_v: code out of range");
    t(a[i], b[i]) += w[i];
  }
  return cramers_v_table(t);
}

namespace {

// Class indicators of columns `cols` (n x sum k, in workspace slot `slot`), weighted by w when
// given; offsets of each column.
Eigen::Map<Eigen::MatrixXd> indicators(Eigen::Ref<const Eigen::MatrixXi> codes, const std::vector<int>& k,
                                       const std::vector<Eigen::Index>& cols, const Eigen::VectorXd* w,
                                       std::vector<Eigen::Index>& off, AssociationWorkspace& ws, std::size_t slot) {
  off.assign(cols.size() + 1, 0);
  for (std::size_t c = 0; c < cols.size(); ++c) off[c + 1] = off[c] + k[static_cast<std::size_t>(cols[c])];
  auto z = ws.get(slot, codes.rows(), off.back());
  z.setZero();
  for (std::size_t c = 0; c < cols.size(); ++c)
    for (Eigen::Index r = 0; r < codes.rows(); ++r) {
      const int v = codes(r, cols[c]);
      if (v < 0 || v >= k[static_cast<std::size_t>(cols[c])]) throw std::invalid_argument("association: code out of range");
      z(r, off[c] + v) = w ? (*w)[r] : 1.0;
    }
  return z;
}

}  // namespace

Eigen::Map<Eigen::MatrixXd> AssociationWorkspace::get(std::size_t slot, Eigen::Index rows, Eigen::Index cols) {
  if (buf_.size() <= slot) buf_.resize(slot + 1);
  auto& b = buf_[slot];
  const auto need = static_cast<std::size_t>(rows * cols);
  if (b.size() < need) b.resize(need);
  return Eigen::Map<Eigen::MatrixXd>(b.data(), rows, cols);
}

Eigen::MatrixXd association_block(Eigen::Ref<const Eigen::MatrixXi> codes, const std::vector<int>& k,
                                  Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<bool>& numeric,
                                  Eigen::Ref<const Eigen::VectorXd> w, Eigen::Index i0, Eigen::Index i1,
                                  Eigen::Index j0, Eigen::Index j1, AssociationWorkspace* ws_in) {
  AssociationWorkspace own;
  AssociationWorkspace& ws = ws_in ? *ws_in : own;
  const Eigen::Index n = codes.rows(), m = codes.cols();
  if (raw.rows() != n || raw.cols() != m || w.size() != n || static_cast<Eigen::Index>(k.size()) != m ||
      static_cast<Eigen::Index>(numeric.size()) != m || i0 < 0 || i1 > m || j0 < 0 || j1 > m || i0 > i1 || j0 > j1)
    throw std::invalid_argument("association_block: inconsistent sizes");
  const Eigen::Index bi = i1 - i0, bj = j1 - j0;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(bi, bj);
  auto num = [&](Eigen::Index c) { return static_cast<bool>(numeric[static_cast<std::size_t>(c)]); };
  // Pearson: L = [w*M, w*X0, w*X0^2] (block I), R = [M, X0, X0^2] (block J), G = L' R.
  // X0 = value minus the column's weighted mean (zero where missing), M = observed mask.
  auto centred = [&](Eigen::Index c0, Eigen::Index b, bool weighted, std::size_t slot) {
    auto s = ws.get(slot, n, 3 * b);
    s.setZero();
    for (Eigen::Index c = 0; c < b; ++c) {
      if (!num(c0 + c)) continue;
      const auto x = raw.col(c0 + c);
      double sw = 0, sx = 0;
      for (Eigen::Index r = 0; r < n; ++r)
        if (!std::isnan(x[r])) sw += w[r], sx += w[r] * x[r];
      const double mean = sw > 0 ? sx / sw : 0.0;
      for (Eigen::Index r = 0; r < n; ++r) {
        if (std::isnan(x[r])) continue;
        const double f = weighted ? w[r] : 1.0, d = x[r] - mean;
        s(r, c) = f, s(r, b + c) = f * d, s(r, 2 * b + c) = f * d * d;
      }
    }
    return s;
  };
  const auto li = centred(i0, bi, true, 0);
  const auto rj = centred(j0, bj, false, 1);
  // Sums over pairwise-complete rows: g_m = [wM wX wXX]' M_J (3bi x bj), g_x = (wM)' [X XX]_J
  // (bi x 2bj), g_xx = (wX)' X_J. A column without missing values has M = 1, so its products
  // reduce to column sums: full products are formed only for columns with missing values
  // (most candidates have none, which makes the block ~3x cheaper).
  auto has_missing = [&](Eigen::Index c) { return num(c) && raw.col(c).hasNaN(); };
  std::vector<Eigen::Index> miss_i, miss_j;
  for (Eigen::Index c = 0; c < bi; ++c)
    if (has_missing(i0 + c)) miss_i.push_back(c);
  for (Eigen::Index c = 0; c < bj; ++c)
    if (has_missing(j0 + c)) miss_j.push_back(c);
  const Eigen::VectorXd li_sum = li.colwise().sum().transpose();      // per I column: sum over all rows
  const Eigen::RowVectorXd rj_wsum = w.transpose() * rj.rightCols(2 * bj);  // w' [X XX]_J
  Eigen::MatrixXd g_m = li_sum.replicate(1, bj);
  Eigen::MatrixXd g_x = rj_wsum.replicate(bi, 1);
  if (!miss_j.empty()) {
    auto mj = ws.get(2, n, static_cast<Eigen::Index>(miss_j.size()));
    for (std::size_t c = 0; c < miss_j.size(); ++c) mj.col(static_cast<Eigen::Index>(c)) = rj.col(miss_j[c]);
    const Eigen::MatrixXd p = li.transpose() * mj;
    for (std::size_t c = 0; c < miss_j.size(); ++c) g_m.col(miss_j[c]) = p.col(static_cast<Eigen::Index>(c));
  }
  if (!miss_i.empty()) {
    auto mi = ws.get(2, n, static_cast<Eigen::Index>(miss_i.size()));
    for (std::size_t c = 0; c < miss_i.size(); ++c) mi.col(static_cast<Eigen::Index>(c)) = li.col(miss_i[c]);
    const Eigen::MatrixXd p = mi.transpose() * rj.rightCols(2 * bj);
    for (std::size_t c = 0; c < miss_i.size(); ++c) g_x.row(miss_i[c]) = p.row(static_cast<Eigen::Index>(c));
  }
  const Eigen::MatrixXd g_xx = li.middleCols(bi, bi).transpose() * rj.middleCols(bj, bj);
  // Contingency tables: indicator products, only for pairs with a categorical member.
  std::vector<Eigen::Index> cat_i, all_i, cat_j, all_j;
  for (Eigen::Index c = i0; c < i1; ++c) (num(c) ? all_i : cat_i).push_back(c);
  for (Eigen::Index c = j0; c < j1; ++c) (num(c) ? all_j : cat_j).push_back(c);
  const std::vector<Eigen::Index> num_i = all_i;  // numeric members of I
  all_i.insert(all_i.end(), cat_i.begin(), cat_i.end());
  all_j.insert(all_j.end(), cat_j.begin(), cat_j.end());
  const Eigen::VectorXd wv = w;
  std::vector<Eigen::Index> o_ci, o_aj, o_ni, o_cj;
  Eigen::MatrixXd t1, t2;  // cat(I) x all(J); num(I) x cat(J)
  if (!cat_i.empty())
    t1 = indicators(codes, k, cat_i, &wv, o_ci, ws, 3).transpose() * indicators(codes, k, all_j, nullptr, o_aj, ws, 4);
  if (!cat_j.empty() && !num_i.empty())
    t2 = indicators(codes, k, num_i, &wv, o_ni, ws, 3).transpose() * indicators(codes, k, cat_j, nullptr, o_cj, ws, 4);
  auto pos = [](const std::vector<Eigen::Index>& v, Eigen::Index c) {
    return static_cast<std::size_t>(std::find(v.begin(), v.end(), c) - v.begin());
  };
  for (Eigen::Index a = 0; a < bi; ++a)
    for (Eigen::Index b = 0; b < bj; ++b) {
      const Eigen::Index i = i0 + a, j = j0 + b;
      if (i == j) {
        out(a, b) = 1.0;
      } else if (num(i) && num(j)) {
        const double sw = g_m(a, b), s1 = g_m(bi + a, b), s2 = g_x(a, b);
        const double qx = g_m(2 * bi + a, b), qy = g_x(a, bj + b);
        const double sxx = qx - (sw > 0 ? s1 * s1 / sw : 0.0);
        const double syy = qy - (sw > 0 ? s2 * s2 / sw : 0.0);
        const double sxy = g_xx(a, b) - (sw > 0 ? s1 * s2 / sw : 0.0);
        // Relative tolerance: a constant column over the complete rows has no correlation.
        const bool ok = sw > 0 && sxx > 1e-12 * qx && syy > 1e-12 * qy;
        out(a, b) = ok ? std::min(1.0, std::abs(sxy) / std::sqrt(sxx * syy)) : 0.0;
      } else if (!num(i)) {
        const auto p = pos(cat_i, i), q = pos(all_j, j);
        out(a, b) = cramers_v_table(t1.block(o_ci[p], o_aj[q], k[static_cast<std::size_t>(i)], k[static_cast<std::size_t>(j)]));
      } else {
        const auto p = pos(num_i, i), q = pos(cat_j, j);
        out(a, b) = cramers_v_table(t2.block(o_ni[p], o_cj[q], k[static_cast<std::size_t>(i)], k[static_cast<std::size_t>(j)]));
      }
    }
  return out;
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
