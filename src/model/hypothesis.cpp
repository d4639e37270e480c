#include "model/hypothesis.hpp"
#include "model/score_block.hpp"

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

}  // namespace

namespace detail {

ChiSqTest block_test(Eigen::MatrixXd& I, const Eigen::MatrixXd& A, const Eigen::MatrixXd& CA,
                     const Eigen::VectorXd& U, Eigen::Index c0, Eigen::Index k) {
  const Eigen::MatrixXd zz = I;
  I.noalias() -= A.middleCols(c0, k).transpose() * CA.middleCols(c0, k);
  // A candidate (nearly) in the span of the model has no information left: not testable.
  for (Eigen::Index j = 0; j < k; ++j)
    if (I(j, j) <= 1e-9 * zz(j, j)) I.row(j).setZero(), I.col(j).setZero();
  return quad_pinv(I, U.segment(c0, k));
}

}  // namespace detail

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
    out[b] = detail::block_test(I, A, CA, U, c0, k);
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
