#include "model/hypothesis.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <stdexcept>

namespace dmde::model {

double chisq_pvalue(double x, int df) {
  if (df <= 0) return 1.0;
  if (!(x > 0)) return 1.0;
  if (!std::isfinite(x)) return 0.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), x));
}

namespace {

// u' A^+ u with rank(A), A symmetric PSD; eigenvalues below tol * max are treated as 0.
ChiSqTest quad_pinv(const Eigen::MatrixXd& A, const Eigen::VectorXd& u, double tol = 1e-9) {
  ChiSqTest t;
  if (A.size() == 1) {
    if (A(0, 0) > 0 && std::isfinite(A(0, 0))) {
      t.chisq = u[0] * u[0] / A(0, 0);
      t.df = 1;
    }
  } else {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A);
    const Eigen::VectorXd& ev = es.eigenvalues();
    const double cut = tol * std::max(ev.maxCoeff(), 0.0);
    const Eigen::VectorXd proj = es.eigenvectors().transpose() * u;
    for (Eigen::Index i = 0; i < ev.size(); ++i)
      if (ev[i] > cut && ev[i] > 0) {
        t.chisq += proj[i] * proj[i] / ev[i];
        ++t.df;
      }
  }
  t.p_value = chisq_pvalue(t.chisq, t.df);
  return t;
}

// Block test from the raw information Z_b'VZ_b (I, k x k): subtract the part explained by the
// model, A_b' cov A_b, then U_b' I^+ U_b.
ChiSqTest block_test(Eigen::MatrixXd& I, const Eigen::MatrixXd& A, const Eigen::MatrixXd& CA,
                     const Eigen::VectorXd& U, Eigen::Index c0, Eigen::Index k) {
  const Eigen::MatrixXd zz = I;
  I.noalias() -= A.middleCols(c0, k).transpose() * CA.middleCols(c0, k);
  // A candidate (nearly) in the span of the model has no information left: not testable.
  for (Eigen::Index j = 0; j < k; ++j)
    if (I(j, j) <= 1e-9 * zz(j, j)) I.row(j).setZero(), I.col(j).setZero();
  return quad_pinv(I, U.segment(c0, k));
}

}  // namespace

ChiSqTest wald_test(const LogisticFit& fit, const std::vector<Eigen::Index>& cols) {
  std::vector<Eigen::Index> use;
  for (auto c : cols) {
    if (c < 0 || c >= fit.beta.size()) throw std::invalid_argument("wald_test: column out of range");
    if (std::find(fit.aliased.begin(), fit.aliased.end(), c) == fit.aliased.end()) use.push_back(c);
  }
  if (use.empty()) return {};
  const Eigen::MatrixXd C = fit.cov(use, use);
  const Eigen::VectorXd b = fit.beta(use);
  if (!C.allFinite()) return {};
  if (use.size() == 1) return quad_pinv(C, b);
  // Full-rank sub-covariance: solve rather than eigen-decompose.
  Eigen::LDLT<Eigen::MatrixXd> ldlt(C);
  ChiSqTest t;
  if (ldlt.info() == Eigen::Success && ldlt.isPositive() && (ldlt.vectorD().array() > 0).all()) {
    t.chisq = b.dot(ldlt.solve(b));
    t.df = static_cast<int>(use.size());
    t.p_value = chisq_pvalue(t.chisq, t.df);
    return t;
  }
  return quad_pinv(C, b);
}

std::vector<ChiSqTest> wald_parameters(const LogisticFit& fit) {
  std::vector<ChiSqTest> out;
  for (Eigen::Index j = 0; j < fit.beta.size(); ++j) out.push_back(wald_test(fit, {j}));
  return out;
}

ChiSqTest lr_test(double neg2ll_reduced, double neg2ll_full, int df) {
  ChiSqTest t;
  t.chisq = neg2ll_reduced - neg2ll_full;
  t.df = df;
  t.p_value = chisq_pvalue(t.chisq, df);
  return t;
}

std::vector<ChiSqTest> score_tests(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::MatrixXd> cov,
                                   Eigen::Ref<const Eigen::VectorXd> mu, Eigen::Ref<const Eigen::VectorXd> y,
                                   Eigen::Ref<const Eigen::VectorXd> w, Eigen::Ref<const Eigen::MatrixXd> Z,
                                   const std::vector<Eigen::Index>& block, const std::vector<bool>& active) {
  const Eigen::Index n = X.rows(), p = X.cols(), q = Z.cols();
  if (Z.rows() != n || y.size() != n || w.size() != n || mu.size() != n || cov.rows() != p || cov.cols() != p)
    throw std::invalid_argument("score_tests: size mismatch");
  if (block.empty() || block.front() < 0 || block.back() > q || !std::is_sorted(block.begin(), block.end()))
    throw std::invalid_argument("score_tests: bad block boundaries");
  const std::size_t B = block.size() - 1;
  if (!active.empty() && active.size() != B) throw std::invalid_argument("score_tests: active has the wrong size");

  const Eigen::VectorXd v = (w.array() * mu.array() * (1 - mu.array())).matrix();
  const Eigen::VectorXd r = (w.array() * (y - mu).array()).matrix();
  // Everything below is a product with the small n x p matrix V X, never a copy of Z.
  const Eigen::MatrixXd VX = X.array().colwise() * v.array();
  const Eigen::VectorXd U = Z.transpose() * r;   // scores, q
  const Eigen::MatrixXd A = VX.transpose() * Z;  // X'VZ, p x q: the one big GEMM
  const Eigen::MatrixXd CA = cov * A;            // cov X'VZ, p x q
  std::vector<ChiSqTest> out(B);
  // Diagonal of Z'VZ for single-column blocks, by columns (lazy: no n x q temporary).
  for (std::size_t b = 0; b < B; ++b) {
    if (!active.empty() && !active[b]) continue;
    const Eigen::Index c0 = block[b], k = block[b + 1] - block[b];
    if (k == 0) continue;
    Eigen::MatrixXd I(k, k);
    if (k == 1) {
      I(0, 0) = (Z.col(c0).array().square() * v.array()).sum();
    } else {  // k(k+1)/2 fused dot products: no n x k temporary, no small GEMM
      for (Eigen::Index a = 0; a < k; ++a)
        for (Eigen::Index b2 = a; b2 < k; ++b2)
          I(a, b2) = I(b2, a) = (Z.col(c0 + a).array() * v.array() * Z.col(c0 + b2).array()).sum();
    }
    out[b] = block_test(I, A, CA, U, c0, k);
  }
  return out;
}

ClassCodes ClassCodes::from_dummies(Eigen::Ref<const Eigen::MatrixXd> X, const std::vector<Eigen::Index>& block) {
  ClassCodes z;
  if (block.empty() || block.front() != 0 || block.back() != X.cols()) return z;
  const auto E = static_cast<Eigen::Index>(block.size()) - 1, n = X.rows();
  z.rows = n;
  z.block = block;
  z.code.assign(static_cast<std::size_t>(n * E), 0);
  for (Eigen::Index e = 0; e < E; ++e) {
    const Eigen::Index c0 = block[static_cast<std::size_t>(e)], k = block[static_cast<std::size_t>(e) + 1] - c0;
    if (k > 254) return {};
    z.levels.push_back(static_cast<int>(k) + 1);
    for (Eigen::Index j = 0; j < k; ++j)
      for (Eigen::Index i = 0; i < n; ++i) {
        const double x = X(i, c0 + j);
        if (x == 0) continue;
        auto& g = z.code[static_cast<std::size_t>(i * E + e)];
        if (x != 1 || g != 0) return {};  // not a dummy, or two 1s in a row of the block
        g = static_cast<std::uint8_t>(j + 1);
      }
  }
  return z;
}

std::vector<ChiSqTest> score_tests(const ClassCodes& Z, const std::vector<int>& model,
                                   Eigen::Ref<const Eigen::MatrixXd> cov, Eigen::Ref<const Eigen::VectorXd> mu,
                                   Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w,
                                   const std::vector<bool>& active) {
  const Eigen::Index n = Z.rows, E = Z.effects(), q = E ? Z.block.back() : 0;
  const auto& bl = Z.block;
  Eigen::Index p = 0;
  for (int s : model) {
    if (s < 0 || s >= E) throw std::invalid_argument("score_tests: model effect out of range");
    p += bl[static_cast<std::size_t>(s) + 1] - bl[static_cast<std::size_t>(s)];
  }
  if (E == 0 || y.size() != n || w.size() != n || mu.size() != n || cov.rows() != p || cov.cols() != p)
    throw std::invalid_argument("score_tests: size mismatch");
  if (!active.empty() && active.size() != static_cast<std::size_t>(E))
    throw std::invalid_argument("score_tests: active has the wrong size");
  const Eigen::VectorXd v = (w.array() * mu.array() * (1 - mu.array())).matrix();
  const Eigen::VectorXd r = (w.array() * (y - mu).array()).matrix();
  std::vector<int> cand;  // active candidates, and where each one's levels start in the tables
  std::vector<Eigen::Index> off{0};
  for (Eigen::Index e = 0; e < E; ++e)
    if (active.empty() || active[static_cast<std::size_t>(e)]) {
      cand.push_back(static_cast<int>(e));
      off.push_back(off.back() + Z.levels[static_cast<std::size_t>(e)]);
    }
  const auto C = cand.size();
  const std::uint8_t* g = Z.code.data();
  // Per candidate level: sum of v (the diagonal Z_b'VZ_b: dummies of one class are disjoint) and of r (U).
  std::vector<double> dv(static_cast<std::size_t>(off.back()), 0.0), ur(dv.size(), 0.0);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (v[i] == 0 && r[i] == 0) continue;
    const std::uint8_t* gi = g + i * E;
    for (std::size_t c = 0; c < C; ++c) {
      const auto t = static_cast<std::size_t>(off[c] + gi[cand[c]]);
      dv[t] += v[i];
      ur[t] += r[i];
    }
  }
  // X'VZ: for each model class s, the v-weighted cross-table of its codes with each candidate's.
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(p, q);
  std::vector<double> T;
  Eigen::Index pos = 0;
  for (int s : model) {
    const int Ks = Z.levels[static_cast<std::size_t>(s)];
    T.assign(static_cast<std::size_t>(off.back() * Ks), 0.0);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double vi = v[i];
      if (vi == 0) continue;  // rows of weight 0 add exact zeros
      const std::uint8_t* gi = g + i * E;
      const int a = gi[s];
      for (std::size_t c = 0; c < C; ++c) T[static_cast<std::size_t>((off[c] + gi[cand[c]]) * Ks + a)] += vi;
    }
    for (std::size_t c = 0; c < C; ++c) {
      const Eigen::Index c0 = bl[static_cast<std::size_t>(cand[c])];
      for (int b = 1; b < Z.levels[static_cast<std::size_t>(cand[c])]; ++b)
        for (int a = 1; a < Ks; ++a) A(pos + a - 1, c0 + b - 1) = T[static_cast<std::size_t>((off[c] + b) * Ks + a)];
    }
    pos += Ks - 1;
  }
  const Eigen::MatrixXd CA = cov * A;
  Eigen::VectorXd U = Eigen::VectorXd::Zero(q);
  std::vector<ChiSqTest> out(static_cast<std::size_t>(E));
  for (std::size_t c = 0; c < C; ++c) {
    const Eigen::Index c0 = bl[static_cast<std::size_t>(cand[c])], k = Z.levels[static_cast<std::size_t>(cand[c])] - 1;
    if (k == 0) continue;
    Eigen::MatrixXd I = Eigen::MatrixXd::Zero(k, k);
    for (Eigen::Index b = 0; b < k; ++b) {
      I(b, b) = dv[static_cast<std::size_t>(off[c] + b + 1)];
      U[c0 + b] = ur[static_cast<std::size_t>(off[c] + b + 1)];
    }
    out[static_cast<std::size_t>(cand[c])] = block_test(I, A, CA, U, c0, k);
  }
  return out;
}

GlobalTests global_tests(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w, const LogisticFit& fit) {
  if (!fit.has_intercept) throw std::invalid_argument("global_tests: the model has no intercept");
  GlobalTests g;
  const int df = static_cast<int>(fit.rank()) - 1;
  g.likelihood_ratio = lr_test(fit.neg2ll_null, fit.neg2ll, df);
  std::vector<Eigen::Index> rest;
  for (Eigen::Index j = 1; j < X.cols(); ++j) rest.push_back(j);
  g.wald = wald_test(fit, rest);
  const double sw = w.sum(), ybar = w.dot(y) / sw;
  const Eigen::VectorXd mu0 = Eigen::VectorXd::Constant(X.rows(), ybar);
  const Eigen::MatrixXd cov0 = Eigen::MatrixXd::Constant(1, 1, 1.0 / (sw * ybar * (1 - ybar)));
  g.score = score_tests(X.leftCols(1), cov0, mu0, y, w, X.rightCols(X.cols() - 1), {0, X.cols() - 1})[0];
  return g;
}

}  // namespace dmde::model
