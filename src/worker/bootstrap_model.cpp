#include "worker/bootstrap_model.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "core/error.hpp"
#include "model/stepwise.hpp"

namespace dmde::worker {
namespace {

/// [1, Z blocks of `effects`]: the model design.
Eigen::MatrixXd design(const ClassData& d, const std::vector<int>& effects) {
  Eigen::Index p = 1;
  for (int e : effects) p += d.block[e + 1] - d.block[e];
  Eigen::MatrixXd X(d.rows(), p);
  X.col(0).setOnes();
  Eigen::Index c = 1;
  for (int e : effects) {
    const Eigen::Index k = d.block[e + 1] - d.block[e];
    X.middleCols(c, k) = d.X.middleCols(1 + d.block[e], k);
    c += k;
  }
  return X;
}

/// Columns of H (a weighted cross-product) that are linear combinations of earlier ones: a
/// Cholesky that skips columns whose residual pivot is tiny (SAS fixes those at 0).
std::vector<bool> non_aliased(const Eigen::MatrixXd& H, double tol = 1e-9) {
  const Eigen::Index p = H.rows();
  std::vector<bool> keep(static_cast<std::size_t>(p), false);
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(p, p);
  for (Eigen::Index j = 0; j < p; ++j) {
    double djj = H(j, j);
    for (Eigen::Index k = 0; k < j; ++k)
      if (keep[static_cast<std::size_t>(k)]) djj -= L(j, k) * L(j, k);
    if (!(H(j, j) > 0) || djj <= tol * H(j, j)) continue;
    keep[static_cast<std::size_t>(j)] = true;
    L(j, j) = std::sqrt(djj);
    for (Eigen::Index i = j + 1; i < p; ++i) {
      double s = H(i, j);
      for (Eigen::Index k = 0; k < j; ++k)
        if (keep[static_cast<std::size_t>(k)]) s -= L(i, k) * L(j, k);
      L(i, j) = s / L(j, j);
    }
  }
  return keep;
}

double loglik(const Eigen::VectorXd& eta, const Eigen::VectorXd& y, const Eigen::VectorXd& w) {
  double ll = 0;
  for (Eigen::Index i = 0; i < eta.size(); ++i) {
    if (w[i] == 0) continue;
    // log(1+exp(eta)) computed stably
    const double l1pe = eta[i] > 0 ? eta[i] + std::log1p(std::exp(-eta[i])) : std::log1p(std::exp(eta[i]));
    ll += w[i] * (y[i] * eta[i] - l1pe);
  }
  return ll;
}

/// Pseudo-inverse quadratic form u' A^+ u of a small symmetric PSD block; df = rank.
double quad_pinv(const Eigen::MatrixXd& A, const Eigen::VectorXd& u, int* rank) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A);
  const auto& ev = es.eigenvalues();
  const double tol = 1e-9 * std::max(1.0, ev.cwiseAbs().maxCoeff());
  const Eigen::VectorXd t = es.eigenvectors().transpose() * u;
  double s = 0;
  int r = 0;
  for (Eigen::Index k = 0; k < ev.size(); ++k)
    if (ev[k] > tol) {
      s += t[k] * t[k] / ev[k];
      ++r;
    }
  *rank = r;
  return s;
}

}  // namespace

double chisq_p(double x, int df) {
  if (df <= 0 || !(x > 0)) return 1.0;
  return boost::math::gamma_q(0.5 * df, 0.5 * x);
}

ClassData make_class_data(const Table& t, const std::string& target, const std::vector<std::string>& vars) {
  ClassData d;
  std::vector<int> cols;
  if (vars.empty()) {
    for (std::size_t j = 0; j < t.schema.vars.size(); ++j)
      if (t.schema.vars[j].kind == VarKind::Categorical) cols.push_back(static_cast<int>(j));
  } else {
    for (const auto& v : vars) cols.push_back(t.schema.require(v, "the training table"));
  }
  if (cols.empty()) throw InputError("no categorical candidate variables in the training table");
  const Eigen::Index n = t.rows();
  d.y = t.outcome(target);
  for (Eigen::Index i = 0; i < n; ++i)
    if (d.y[i] != 0 && d.y[i] != 1) throw InputError("target '" + target + "' is not 0/1");
  if (t.weight.size() != n || (t.weight.array() <= 0).any() || !t.weight.allFinite())
    throw InputError("survey weights must be positive and finite");
  d.w = t.weight * (static_cast<double>(n) / t.weight.sum());
  d.codes.resize(n, static_cast<Eigen::Index>(cols.size()));
  d.block.push_back(0);
  for (std::size_t k = 0; k < cols.size(); ++k) {
    const auto& info = t.schema.vars[static_cast<std::size_t>(cols[k])];
    if (info.kind != VarKind::Categorical)
      throw InputError("candidate '" + info.name + "' is not a class variable (run dmde prepare first)");
    int L = static_cast<int>(info.levels.size());
    for (Eigen::Index i = 0; i < n; ++i) {
      const double c = t.X(i, cols[k]);
      if (std::isnan(c)) throw InputError("candidate '" + info.name + "' has missing values (run dmde prepare first)");
      d.codes(i, static_cast<Eigen::Index>(k)) = static_cast<int>(c);
      L = std::max(L, static_cast<int>(c) + 1);
    }
    d.names.push_back(info.name);
    auto lv = info.levels;
    for (int l = static_cast<int>(lv.size()); l < L; ++l) lv.push_back(std::to_string(l));
    d.levels.push_back(lv);
    d.n_levels.push_back(L);
    d.block.push_back(d.block.back() + std::max(L - 1, 0));
    d.parents.push_back({static_cast<int>(d.parents.size())});
  }
  d.extra = Eigen::MatrixXd::Constant(n, 3, std::nan(""));
  const char* extra_names[] = {"fraud", "financial_impact", "overpayment_amount"};
  for (int k = 0; k < 3; ++k) {
    const auto& o = t.schema.outcomes;
    const auto it = std::find(o.begin(), o.end(), extra_names[k]);
    if (it != o.end()) d.extra.col(k) = t.outcomes.col(it - o.begin());
  }
  d.X = Eigen::MatrixXd::Zero(n, 1 + d.block.back());
  d.X.col(0).setOnes();
  for (std::size_t k = 0; k < cols.size(); ++k)
    for (Eigen::Index i = 0; i < n; ++i) {
      const int c = d.codes(i, static_cast<Eigen::Index>(k));
      if (c < d.n_levels[k] - 1) d.X(i, 1 + d.block[k] + c) = 1.0;  // last level = reference
    }
  return d;
}

ClassFit fit_effects(const ClassData& d, const std::vector<int>& effects, Eigen::Ref<const Eigen::VectorXd> w,
                     const StepwiseOptions& opt) {
  ClassFit f;
  f.effects = effects;
  std::sort(f.effects.begin(), f.effects.end());
  const Eigen::MatrixXd X = design(d, f.effects);
  const Eigen::Index p = X.cols();
  const Eigen::VectorXd y = d.y, wv = w;
  const double sw = wv.sum(), ybar = wv.dot(y) / sw;
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p);
  beta[0] = std::log(std::max(ybar, 1e-12) / std::max(1 - ybar, 1e-12));
  Eigen::VectorXd eta = X * beta;
  double ll = loglik(eta, y, wv);
  std::vector<bool> keep;
  std::vector<Eigen::Index> idx;
  Eigen::MatrixXd Hk;
  // The information X'VX from cross-tabulated class codes (exact; no dense rank update).
  const model::ClassCodes z = class_codes(d, f.effects);
  std::vector<int> all(f.effects.size() + 1);
  std::iota(all.begin(), all.end(), 0);
  for (int it = 0; it <= opt.max_iter; ++it) {
    const Eigen::VectorXd mu = eta.unaryExpr([](double e) { return 1.0 / (1.0 + std::exp(-e)); });
    const Eigen::VectorXd v = (wv.array() * mu.array() * (1 - mu.array())).matrix();
    const Eigen::VectorXd g = X.transpose() * (wv.array() * (y - mu).array()).matrix();
    const Eigen::MatrixXd H = z.effects() > 0 ? model::weighted_crossprod(z, all, v) : model::weighted_crossprod(X, v);
    if (keep.empty()) {
      keep = non_aliased(H);
      for (Eigen::Index j = 0; j < p; ++j)
        if (keep[static_cast<std::size_t>(j)]) idx.push_back(j);
    }
    const auto k = static_cast<Eigen::Index>(idx.size());
    Hk.resize(k, k);
    Eigen::VectorXd gk(k);
    for (Eigen::Index a = 0; a < k; ++a) {
      gk[a] = g[idx[a]];
      for (Eigen::Index b = 0; b < k; ++b) Hk(a, b) = H(idx[a], idx[b]);
    }
    Eigen::LDLT<Eigen::MatrixXd> ldlt(Hk);
    const Eigen::VectorXd dk = ldlt.solve(gk);
    f.iterations = it;
    if (gk.dot(dk) / (std::abs(ll) + 1e-6) < opt.gconv) {
      f.converged = true;
      break;
    }
    if (it == opt.max_iter) break;
    Eigen::VectorXd delta = Eigen::VectorXd::Zero(p);
    for (Eigen::Index a = 0; a < k; ++a) delta[idx[a]] = dk[a];
    double step = 1.0, ll_new = ll;
    Eigen::VectorXd beta_new, eta_new;
    for (int h = 0; h <= 10; ++h, step *= 0.5) {
      beta_new = beta + step * delta;
      eta_new = X * beta_new;
      ll_new = loglik(eta_new, y, wv);
      if (ll_new >= ll - 1e-12 * std::abs(ll)) break;
    }
    beta = beta_new;
    eta = eta_new;
    ll = ll_new;
  }
  f.beta = beta;
  f.neg2ll = -2 * ll;
  f.cov = Eigen::MatrixXd::Zero(p, p);
  if (!idx.empty()) {
    const Eigen::MatrixXd ck = Hk.ldlt().solve(Eigen::MatrixXd::Identity(Hk.rows(), Hk.cols()));
    for (std::size_t a = 0; a < idx.size(); ++a)
      for (std::size_t b = 0; b < idx.size(); ++b)
        f.cov(idx[a], idx[b]) = ck(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
  }
  return f;
}

Eigen::VectorXd linear_predictor(const ClassData& d, const ClassFit& fit) { return design(d, fit.effects) * fit.beta; }

Eigen::VectorXd score_chisq(const ClassData& d, const ClassFit& fit, Eigen::Ref<const Eigen::VectorXd> w,
                            std::vector<int>* df) {
  const Eigen::MatrixXd X = design(d, fit.effects);
  const Eigen::VectorXd mu = (X * fit.beta).unaryExpr([](double e) { return 1.0 / (1.0 + std::exp(-e)); });
  const Eigen::VectorXd r = (w.array() * (d.y - mu).array()).matrix();
  const Eigen::VectorXd v = (w.array() * mu.array() * (1 - mu.array())).matrix();
  // All candidates at once: U = Z'r, D = diag(Z'VZ) = Z'v (indicator columns of one variable are
  // disjoint), A = Z'VX (the one GEMM of the step), C = A cov.
  const Eigen::VectorXd U = d.Z().transpose() * r;
  const Eigen::VectorXd D = d.Z().transpose() * v;
  const Eigen::MatrixXd VX = X.array().colwise() * v.array();
  const Eigen::MatrixXd A = d.Z().transpose() * VX;
  const Eigen::MatrixXd C = A * fit.cov;
  std::vector<bool> in(static_cast<std::size_t>(d.vars()), false);
  for (int e : fit.effects) in[static_cast<std::size_t>(e)] = true;
  Eigen::VectorXd chi = Eigen::VectorXd::Constant(d.vars(), std::nan(""));
  if (df) df->assign(static_cast<std::size_t>(d.vars()), 0);
  for (int j = 0; j < d.vars(); ++j) {
    if (in[static_cast<std::size_t>(j)]) continue;
    const Eigen::Index b0 = d.block[j], k = d.block[j + 1] - b0;
    if (k == 0) continue;
    Eigen::MatrixXd I = -A.middleRows(b0, k) * C.middleRows(b0, k).transpose();
    I.diagonal() += D.segment(b0, k);
    int rank = 0;
    chi[j] = quad_pinv(I, U.segment(b0, k), &rank);
    if (df) (*df)[static_cast<std::size_t>(j)] = rank;
  }
  return chi;
}

ClassFit stepwise_select(const ClassData& d, Eigen::Ref<const Eigen::VectorXd> w, const StepwiseOptions& opt) {
  std::vector<Eigen::Index> block{0};
  std::vector<std::string> names{"Intercept"};
  for (int j = 0; j < d.vars(); ++j) {
    block.push_back(1 + d.block[j]);
    names.push_back(d.names[static_cast<std::size_t>(j)]);
  }
  block.push_back(1 + d.block.back());
  model::SelectionOptions so;
  so.method = model::Selection::Stepwise;
  so.slentry = opt.slentry;
  so.slstay = opt.slstay;
  so.max_steps = opt.max_steps;
  so.fit.max_iter = opt.max_iter;
  so.fit.gconv = opt.gconv;
  so.between_steps = opt.between_steps;
  // Rows of weight 0 (a replicate's out-of-bag third) add exact zeros to every sum: drop them once
  // so the score GEMMs of every step run on ~63% of the rows.
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < w.size(); ++i)
    if (w[i] != 0) rows.push_back(i);
  model::SelectionResult r;
  if (rows.size() == static_cast<std::size_t>(w.size())) {
    r = model::select_effects(d.X, block, names, d.y, w, so);
  } else {
    const Eigen::MatrixXd X = d.X(rows, Eigen::all);
    const Eigen::VectorXd y = d.y(rows), wr = w(rows);
    r = model::select_effects(X, block, names, y, wr, so);
  }
  ClassFit f;
  for (int e : r.selected)
    if (e > 0) f.effects.push_back(e - 1);
  f.beta = r.fit.beta;
  f.cov = r.fit.cov;
  f.neg2ll = r.fit.neg2ll;
  f.iterations = r.fit.iterations;
  f.converged = r.fit.converged();
  f.steps = static_cast<int>(r.steps.size());
  return f;
}

std::vector<std::pair<double, int>> wald_effects(const ClassData& d, const ClassFit& fit) {
  std::vector<std::pair<double, int>> out;
  Eigen::Index c = 1;
  for (int e : fit.effects) {
    const Eigen::Index k = d.block[e + 1] - d.block[e];
    std::vector<Eigen::Index> s;
    for (Eigen::Index a = c; a < c + k; ++a)
      if (fit.cov(a, a) > 0) s.push_back(a);  // aliased dummies are left out (they lower df)
    double chi = 0;
    int rank = 0;
    if (!s.empty()) {
      const auto m = static_cast<Eigen::Index>(s.size());
      Eigen::MatrixXd S(m, m);
      Eigen::VectorXd b(m);
      for (Eigen::Index a = 0; a < m; ++a) {
        b[a] = fit.beta[s[static_cast<std::size_t>(a)]];
        for (Eigen::Index q = 0; q < m; ++q) S(a, q) = fit.cov(s[static_cast<std::size_t>(a)], s[static_cast<std::size_t>(q)]);
      }
      chi = quad_pinv(S, b, &rank);
    }
    out.emplace_back(chi, rank);
    c += k;
  }
  return out;
}

double score_block(const ClassData& d, const ClassFit& fit, Eigen::Ref<const Eigen::VectorXd> w,
                   const Eigen::MatrixXd& Zb, int* df) {
  const Eigen::MatrixXd X = design(d, fit.effects);
  const Eigen::VectorXd mu = (X * fit.beta).unaryExpr([](double e) { return 1.0 / (1.0 + std::exp(-e)); });
  const Eigen::VectorXd r = (w.array() * (d.y - mu).array()).matrix();
  const Eigen::VectorXd v = (w.array() * mu.array() * (1 - mu.array())).matrix();
  const Eigen::MatrixXd VZ = Zb.array().colwise() * v.array();
  const Eigen::MatrixXd A = X.transpose() * VZ;  // p x k
  Eigen::MatrixXd I = Zb.transpose() * VZ - A.transpose() * fit.cov * A;
  I = 0.5 * (I + I.transpose());
  return quad_pinv(I, Zb.transpose() * r, df);
}

Eigen::MatrixXd interaction_dummies(const ClassData& d, int a, int b) {
  const int La = d.n_levels[static_cast<std::size_t>(a)], Lb = d.n_levels[static_cast<std::size_t>(b)];
  const int cells = La * Lb;
  Eigen::MatrixXd Zb = Eigen::MatrixXd::Zero(d.rows(), cells - 1);
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const int c = d.codes(i, a) + La * d.codes(i, b);
    if (c < cells - 1) Zb(i, c) = 1.0;  // last cell = reference
  }
  return Zb;
}

int add_interaction(ClassData& d, int a, int b) {
  if (a == b || a < 0 || b < 0 || a >= d.vars() || b >= d.vars() || d.parents[static_cast<std::size_t>(a)].size() != 1 ||
      d.parents[static_cast<std::size_t>(b)].size() != 1)
    throw std::invalid_argument("add_interaction: two distinct main effects");
  const Eigen::MatrixXd Zb = interaction_dummies(d, a, b);
  const int La = d.n_levels[static_cast<std::size_t>(a)], Lb = d.n_levels[static_cast<std::size_t>(b)];
  const Eigen::Index q = d.X.cols() - 1;
  d.X.conservativeResize(Eigen::NoChange, 1 + q + Zb.cols());
  d.X.rightCols(Zb.cols()) = Zb;
  d.block.push_back(q + Zb.cols());
  d.codes.conservativeResize(Eigen::NoChange, d.codes.cols() + 1);
  d.codes.col(d.codes.cols() - 1) = d.codes.col(a) + La * d.codes.col(b);
  d.names.push_back(d.names[static_cast<std::size_t>(a)] + "*" + d.names[static_cast<std::size_t>(b)]);
  std::vector<std::string> lv;
  for (int cb = 0; cb < Lb; ++cb)
    for (int ca = 0; ca < La; ++ca)
      lv.push_back(d.levels[static_cast<std::size_t>(a)][static_cast<std::size_t>(ca)] + " " +
                   d.levels[static_cast<std::size_t>(b)][static_cast<std::size_t>(cb)]);
  d.levels.push_back(lv);
  d.n_levels.push_back(La * Lb);
  d.parents.push_back({a, b});
  return d.vars() - 1;
}

double weighted_auc(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                    Eigen::Ref<const Eigen::VectorXd> w) {
  std::vector<Eigen::Index> order;
  for (Eigen::Index i = 0; i < score.size(); ++i)
    if (w[i] > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return score[a] < score[b]; });
  double w0_below = 0, conc = 0, ties = 0, W1 = 0, W0 = 0;
  for (std::size_t g = 0; g < order.size();) {
    std::size_t h = g;
    double g1 = 0, g0 = 0;
    while (h < order.size() && score[order[h]] == score[order[g]]) {
      (y[order[h]] > 0.5 ? g1 : g0) += w[order[h]];
      ++h;
    }
    conc += g1 * w0_below;
    ties += g1 * g0;
    w0_below += g0;
    W1 += g1;
    W0 += g0;
    g = h;
  }
  if (!(W1 > 0) || !(W0 > 0)) return std::nan("");
  return (conc + 0.5 * ties) / (W1 * W0);
}

}  // namespace dmde::worker
