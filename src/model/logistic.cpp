#include "model/logistic.hpp"

#include <algorithm>

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>
#include <exception>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace dmde::model {

std::string to_string(FitStatus s) {
  switch (s) {
    case FitStatus::Converged:
      return "Convergence criterion (GCONV=1E-8) satisfied.";
    case FitStatus::NotConverged:
      return "Maximum number of iterations reached without convergence.";
    case FitStatus::QuasiCompleteSeparation:
      return "Quasi-complete separation of data points detected. The maximum likelihood estimate may not exist.";
    case FitStatus::CompleteSeparation:
      return "Complete separation of data points detected. The maximum likelihood estimate does not exist.";
  }
  return "?";
}

namespace {

// Column panels of the lower triangle of X'VX. Panel j0 costs about wj * (p - j0) per row.
constexpr Eigen::Index kPanel = 48;

// Panels dealt to `threads` workers, longest first to the least loaded (deterministic). Each
// H entry is computed by exactly one worker with the same operations as a serial run, so the
// result is bit-identical for any thread count.
std::vector<std::vector<Eigen::Index>> deal_panels(Eigen::Index p, int threads) {
  std::vector<std::vector<Eigen::Index>> share(static_cast<std::size_t>(std::max(1, threads)));
  std::vector<Eigen::Index> load(share.size(), 0);
  for (Eigen::Index j0 = 0; j0 < p; j0 += kPanel) {  // panels come longest first
    const auto t = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    share[t].push_back(j0);
    load[t] += std::min(kPanel, p - j0) * (p - j0);
  }
  while (share.size() > 1 && share.back().empty()) share.pop_back();
  return share;
}

// One worker's panels of X' diag(v) X, accumulated into H (lower triangle), over row blocks:
// the scaled block stays in cache between the scaling and the rank update. Scalar = float
// computes each row block's product in single precision (twice the SIMD width) and accumulates
// the blocks in double: an approximate Hessian for the early Newton steps.
template <class Scalar>
void crossprod_panels(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> v,
                      const std::vector<Eigen::Index>& panels, Eigen::MatrixXd& H) {
  using M = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr bool same = std::is_same_v<Scalar, double>;
  constexpr Eigen::Index kRows = 2048;
  const Eigen::Index n = X.rows(), p = X.cols();
  if (panels.empty()) return;
  const Eigen::Index c0 = *std::min_element(panels.begin(), panels.end());  // columns this worker reads
  M Xs, Hb;
  if constexpr (!same) Hb.resize(p, p);
  M& acc = [&]() -> M& {
    if constexpr (same) return H;
    else return Hb;
  }();
  for (Eigen::Index r0 = 0; r0 < n; r0 += kRows) {
    const Eigen::Index nb = std::min(kRows, n - r0);
    Xs.resize(nb, p);
    Xs.rightCols(p - c0) =
        (X.block(r0, c0, nb, p - c0).array().colwise() * v.segment(r0, nb).array().sqrt()).matrix().template cast<Scalar>();
    // A symmetric rank update of the diagonal panel and a plain GEMM below it: half the flops
    // of a full GEMM, most of them at GEMM speed (Eigen's triangular update runs at ~40% of it).
    for (const Eigen::Index j0 : panels) {
      const Eigen::Index wj = std::min(kPanel, p - j0), rest = p - j0 - wj;
      if constexpr (!same) Hb.block(j0, j0, p - j0, wj).setZero();
      acc.block(j0, j0, wj, wj).template selfadjointView<Eigen::Lower>().rankUpdate(Xs.middleCols(j0, wj).adjoint());
      if (rest > 0)
        acc.block(j0 + wj, j0, rest, wj).noalias() += Xs.middleCols(j0 + wj, rest).adjoint() * Xs.middleCols(j0, wj);
      if constexpr (!same)
        H.block(j0, j0, p - j0, wj) += Hb.block(j0, j0, p - j0, wj).template cast<double>();
    }
  }
}

// X' diag(v) X into H: the panels shared among `threads` workers (this thread is one of them).
template <class Scalar>
void crossprod_into(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> v, Eigen::MatrixXd& H,
                    int threads = 1) {
  const Eigen::Index p = X.cols();
  H.setZero(p, p);
  const auto share = deal_panels(p, threads);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> failed(share.size());
  for (std::size_t t = 1; t < share.size(); ++t)
    pool.emplace_back([&, t] {
      try {
        crossprod_panels<Scalar>(X, v, share[t], H);
      } catch (...) {
        failed[t] = std::current_exception();
      }
    });
  crossprod_panels<Scalar>(X, v, share[0], H);
  for (auto& th : pool) th.join();
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
  H.triangularView<Eigen::StrictlyUpper>() = H.adjoint();
}

}  // namespace

Eigen::MatrixXd weighted_crossprod(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> v) {
  Eigen::MatrixXd H;
  crossprod_into<double>(X, v, H);
  return H;
}

namespace {

std::vector<Eigen::Index> aliased_in_crossprod(const Eigen::MatrixXd& H, double tol) {
  const Eigen::Index p = H.cols();
  // Cholesky of the kept columns, grown one column at a time; a column whose residual after
  // projection on the kept ones vanishes is aliased (SAS: "linear combination of ...").
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(p, p);
  std::vector<Eigen::Index> kept, aliased;
  for (Eigen::Index j = 0; j < p; ++j) {
    const auto k = static_cast<Eigen::Index>(kept.size());
    Eigen::VectorXd h(k);
    for (Eigen::Index a = 0; a < k; ++a) h[a] = H(kept[static_cast<std::size_t>(a)], j);
    const Eigen::VectorXd l =
        k ? Eigen::VectorXd(L.topLeftCorner(k, k).triangularView<Eigen::Lower>().solve(h)) : Eigen::VectorXd();
    const double d = H(j, j) - l.squaredNorm();
    if (!(H(j, j) > 0) || d <= tol * H(j, j)) {
      aliased.push_back(j);
      continue;
    }
    L.row(k).head(k) = l.transpose();
    L(k, k) = std::sqrt(d);
    kept.push_back(j);
  }
  return aliased;
}

}  // namespace

std::vector<Eigen::Index> aliased_columns(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> w,
                                          double tol) {
  return aliased_in_crossprod(weighted_crossprod(X, w), tol);
}

namespace {

double log1pexp(double x) { return x > 35 ? x : (x < -35 ? std::exp(x) : std::log1p(std::exp(x))); }
double inv_logit_(double e) { return e >= 0 ? 1.0 / (1.0 + std::exp(-e)) : std::exp(e) / (1.0 + std::exp(e)); }

double loglik(const Eigen::VectorXd& eta, Eigen::Ref<const Eigen::VectorXd> y, const Eigen::VectorXd& w) {
  double ll = 0;
  for (Eigen::Index i = 0; i < eta.size(); ++i)
    if (w[i] > 0) ll += w[i] * (y[i] * eta[i] - log1pexp(eta[i]));
  return ll;
}

}  // namespace

LogisticFit fit_logistic(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w_in, const LogisticOptions& opt) {
  return fit_logistic(X, y, w_in, opt, CrossProduct{});
}

LogisticFit fit_logistic(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w_in, const LogisticOptions& opt, const CrossProduct& xvx,
                         const Eigen::MatrixXd* xwx) {
  const Eigen::Index n = X.rows(), p = X.cols();
  if (y.size() != n)
    throw std::invalid_argument("fit_logistic: y has " + std::to_string(y.size()) + " rows, X " + std::to_string(n));
  if (w_in.size() != 0 && w_in.size() != n) throw std::invalid_argument("fit_logistic: weight size mismatch");
  if (p == 0 || n == 0) throw std::invalid_argument("fit_logistic: empty design");
  const Eigen::VectorXd w = w_in.size() ? Eigen::VectorXd(w_in) : Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!std::isfinite(w[i]) || w[i] < 0) throw std::invalid_argument("fit_logistic: negative or non-finite weight");
    if (!(y[i] >= 0 && y[i] <= 1)) throw std::invalid_argument("fit_logistic: response outside [0,1]");
  }
  LogisticFit f;
  f.sum_w = w.sum();
  const double ybar = w.dot(y) / f.sum_w;
  if (!(ybar > 0 && ybar < 1)) throw std::invalid_argument("fit_logistic: the response has a single value");
  f.has_intercept = (X.col(0).array() == 1.0).all();
  f.neg2ll_null = std::numeric_limits<double>::quiet_NaN();
  if (f.has_intercept) {
    f.neg2ll_null = -2 * f.sum_w * (ybar * std::log(ybar) + (1 - ybar) * std::log(1 - ybar));
    f.aic_null = f.neg2ll_null + 2;
    f.sc_null = f.neg2ll_null + std::log(f.sum_w);
  }

  // X'WX at the start (mu = ybar everywhere) gives both the rank check and the first Hessian.
  const double v0 = ybar * (1 - ybar);
  Eigen::MatrixXd H0, H;
  if (xwx) {
    if (xwx->rows() != p || xwx->cols() != p) throw std::invalid_argument("fit_logistic: X'WX has the wrong size");
    H0 = *xwx;
  } else if (xvx)
    H0 = xvx(w);
  else
    crossprod_into<double>(X, w, H0, opt.threads);
  f.aliased = aliased_in_crossprod(H0, opt.singular_tol);
  std::vector<Eigen::Index> keep;
  for (Eigen::Index j = 0, a = 0; j < p; ++j) {
    if (a < static_cast<Eigen::Index>(f.aliased.size()) && f.aliased[static_cast<std::size_t>(a)] == j) {
      ++a;
      continue;
    }
    keep.push_back(j);
  }
  Eigen::MatrixXd Xcopy;
  if (!f.aliased.empty()) Xcopy = X(Eigen::all, keep);  // copy only when a column must go
  const Eigen::Ref<const Eigen::MatrixXd> Xr = f.aliased.empty() ? X : Eigen::Ref<const Eigen::MatrixXd>(Xcopy);
  const auto k = Xr.cols();

  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  if (f.has_intercept) b[0] = std::log(ybar / (1 - ybar));  // start from the intercept-only MLE
  const bool warm = opt.start.size() == p && opt.start.allFinite();
  if (opt.start.size() != 0 && opt.start.size() != p) throw std::invalid_argument("fit_logistic: start has the wrong size");
  if (warm)
    for (Eigen::Index a = 0; a < k; ++a) b[a] = opt.start[keep[static_cast<std::size_t>(a)]];
  Eigen::VectorXd eta = Xr * b, mu(n), g(k);
  double ll = loglik(eta, y, w);
  Eigen::LLT<Eigen::MatrixXd> llt;
  bool have_info = false;
  // First Hessian: v0 * H0 when starting from the intercept-only fit with no aliased column.
  bool first = f.has_intercept && f.aliased.empty() && !warm;
  // A single-precision X'VX (twice the SIMD width) gives Newton steps accurate to ~1e-6 relative
  // (the gradient stays exact), so the iterates converge to the same optimum; the criterion it
  // yields is as accurate, which is immaterial against GCONV. The information at the estimates
  // (the covariance, the separation check) is always formed in double.
  double crit = std::numeric_limits<double>::infinity();
  auto derivatives = [&] {
    for (Eigen::Index i = 0; i < n; ++i) mu[i] = inv_logit_(eta[i]);
    g.noalias() = Xr.transpose() * (w.array() * (y - mu).array()).matrix();
    if (first) {
      H0 *= v0;
      llt.compute(H0);
      first = false;
    } else {
      const Eigen::VectorXd v = (w.array() * mu.array() * (1 - mu.array())).matrix();
      if (!xvx) {
        const bool coarse = crit > opt.coarse_crit;
        if (coarse) crossprod_into<float>(Xr, v, H, opt.threads), llt.compute(H);
        // An ill-conditioned design can lose definiteness in single precision: redo it in double.
        if (!coarse || llt.info() != Eigen::Success) crossprod_into<double>(Xr, v, H, opt.threads), llt.compute(H);
      } else if (f.aliased.empty()) {
        llt.compute(xvx(v));
      } else {
        llt.compute(xvx(v)(keep, keep));
      }
    }
    have_info = llt.info() == Eigen::Success;
  };
  f.status = FitStatus::NotConverged;
  bool suspect = false;
  for (int it = 0; it <= opt.max_iter; ++it) {
    derivatives();
    if (!have_info) break;  // information singular: probabilities at 0/1 (separation)
    const Eigen::VectorXd delta = llt.solve(g);
    crit = g.dot(delta) / (std::abs(ll) + 1e-6);
    if (crit < opt.gconv && !suspect) {
      crit = 0;  // the final derivatives (covariance, separation check) in double precision
      // One last Newton step: quadratic convergence makes it exact to rounding, so estimates
      // match other software to far better than the stopping tolerance.
      b += delta;
      eta.noalias() = Xr * b;
      ll = loglik(eta, y, w);
      derivatives();
      // Under separation the relative gradient also vanishes, but the next Newton step still
      // moves some linear predictors by O(1) (they diverge); keep iterating to expose it.
      const double move = have_info ? (Xr * llt.solve(g)).cwiseAbs().maxCoeff() : 1.0;
      if (move < 1e-4) {
        f.status = FitStatus::Converged;
        break;
      }
      suspect = true;
      continue;
    }
    if (it == opt.max_iter) break;
    f.iterations = it + 1;
    double step = 1.0;
    Eigen::VectorXd bn = b + delta;
    Eigen::VectorXd en = Xr * bn;
    double lln = loglik(en, y, w);
    for (int h = 0; h < opt.max_halvings && !(lln >= ll - 1e-12 * std::abs(ll)); ++h) {
      step /= 2;
      bn = b + step * delta;
      en.noalias() = Xr * bn;
      lln = loglik(en, y, w);
    }
    b = bn;
    eta = en;
    ll = lln;
    if (-ll < 1e-10 * f.sum_w) break;  // perfect fit: complete separation
  }
  if (!have_info || f.status != FitStatus::Converged)
    for (Eigen::Index i = 0; i < n; ++i) mu[i] = inv_logit_(eta[i]);

  // Separation (only for fits that did not converge): rows with positive weight fitted at
  // (numerically) 0/1 on the correct side; complete when every row is on its correct side.
  if (f.status != FitStatus::Converged) {
    Eigen::Index n_pos = 0, n_sep = 0, n_correct = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!(w[i] > 0)) continue;
      ++n_pos;
      const bool correct = (y[i] == 1 && eta[i] > 0) || (y[i] == 0 && eta[i] < 0);
      n_correct += correct;
      if (correct && std::abs(eta[i]) > opt.separation_eta) ++n_sep;
    }
    if (n_sep > 0) f.status = n_correct == n_pos ? FitStatus::CompleteSeparation : FitStatus::QuasiCompleteSeparation;
  }

  f.beta = Eigen::VectorXd::Zero(p);
  f.cov = Eigen::MatrixXd::Zero(p, p);
  Eigen::MatrixXd covr = Eigen::MatrixXd::Constant(k, k, std::numeric_limits<double>::quiet_NaN());
  if (have_info) covr = llt.solve(Eigen::MatrixXd::Identity(k, k));
  for (Eigen::Index a = 0; a < k; ++a) {
    f.beta[keep[static_cast<std::size_t>(a)]] = b[a];
    for (Eigen::Index c = 0; c < k; ++c)
      f.cov(keep[static_cast<std::size_t>(a)], keep[static_cast<std::size_t>(c)]) = covr(a, c);
  }
  f.mu = mu;
  f.neg2ll = -2 * ll;
  f.aic = f.neg2ll + 2.0 * static_cast<double>(k);
  f.sc = f.neg2ll + static_cast<double>(k) * std::log(f.sum_w);
  return f;
}

}  // namespace dmde::model
