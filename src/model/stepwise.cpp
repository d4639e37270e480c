#include "model/stepwise.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace dmde::model {

std::string to_string(Selection s) {
  switch (s) {
    case Selection::None:
      return "none";
    case Selection::Forward:
      return "forward";
    case Selection::Backward:
      return "backward";
    case Selection::Stepwise:
      return "stepwise";
  }
  return "?";
}

Selection selection_from_string(const std::string& s) {
  if (s == "none") return Selection::None;
  if (s == "forward") return Selection::Forward;
  if (s == "backward") return Selection::Backward;
  if (s == "stepwise") return Selection::Stepwise;
  throw std::invalid_argument("unknown selection method '" + s + "' (none, forward, backward, stepwise)");
}

namespace {

// Split "a*b" into its factors.
std::vector<std::string> factors(const std::string& name) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto star = name.find('*'); star != std::string::npos; star = name.find('*', start)) {
    out.push_back(name.substr(start, star - start));
    start = star + 1;
  }
  out.push_back(name.substr(start));
  return out;
}

class Selector {
 public:
  Selector(Eigen::Ref<const Eigen::MatrixXd> X, const std::vector<Eigen::Index>& block,
           const std::vector<std::string>& names, Eigen::Ref<const Eigen::VectorXd> y,
           Eigen::Ref<const Eigen::VectorXd> w, const SelectionOptions& opt)
      : X_(X), block_(block), names_(names), y_(y), w_(w), opt_(opt), E_(static_cast<int>(names.size())) {
    if (block.size() != names.size() + 1 || block.front() != 0 || block.back() != X.cols())
      throw std::invalid_argument("select_effects: blocks must cover the columns of X, one per name");
    if (y.size() != X.rows() || w.size() != X.rows()) throw std::invalid_argument("select_effects: size mismatch");
    forced_.assign(static_cast<std::size_t>(E_), false);
    for (int e = 0; e < E_; ++e)
      forced_[static_cast<std::size_t>(e)] = names[static_cast<std::size_t>(e)] == "Intercept";
    for (int e : opt.include) {
      if (e < 0 || e >= E_) throw std::invalid_argument("select_effects: include index out of range");
      forced_[static_cast<std::size_t>(e)] = true;
    }
    // Class dummies (the bootstrap's candidates): score tests by cross-tabulating codes.
    codes_ = ClassCodes::from_dummies(X, block);
    if (codes_.effects()) {  // the weights never change: X'WX of every column, once
      std::vector<int> all(static_cast<std::size_t>(E_));
      for (int e = 0; e < E_; ++e) all[static_cast<std::size_t>(e)] = e;
      Hw_ = weighted_crossprod(codes_, all, w);
    }
    // Hierarchy: effect e needs the effects named by its factors (when they are candidates).
    needs_.resize(static_cast<std::size_t>(E_));
    if (opt.hierarchy)
      for (int e = 0; e < E_; ++e) {
        const auto f = factors(names[static_cast<std::size_t>(e)]);
        if (f.size() < 2) continue;
        for (int m = 0; m < E_; ++m)
          if (std::find(f.begin(), f.end(), names[static_cast<std::size_t>(m)]) != f.end())
            needs_[static_cast<std::size_t>(e)].push_back(m);
      }
  }

  SelectionResult run() {
    in_.assign(static_cast<std::size_t>(E_), false);
    for (int e = 0; e < E_; ++e)
      in_[static_cast<std::size_t>(e)] =
          forced_[static_cast<std::size_t>(e)] || opt_.method == Selection::Backward || opt_.method == Selection::None;
    const int max_steps = opt_.max_steps >= 0 ? opt_.max_steps : opt_.method == Selection::Backward ? E_ : 2 * E_;
    refit();
    seen_.insert(in_);
    if (opt_.method == Selection::None) {
      res_.stop_reason = "no selection";
      return finish();
    }
    while (true) {
      if (opt_.between_steps) opt_.between_steps();
      if (static_cast<int>(res_.steps.size()) >= max_steps) {
        res_.stop_reason = "maximum number of steps reached";
        break;
      }
      if (opt_.method != Selection::Forward && try_remove()) continue;
      if (res_.cycle) break;
      if (opt_.method == Selection::Backward) {
        res_.stop_reason = "no effect for removal";
        break;
      }
      if (!try_enter()) {
        if (!res_.cycle)
          res_.stop_reason =
              "no (additional) effect met the " + std::to_string(opt_.slentry) + " significance level for entry";
        break;
      }
    }
    return finish();
  }

 private:
  void refit() {
    cols_.clear();
    for (int e = 0; e < E_; ++e)
      if (in_[static_cast<std::size_t>(e)])
        for (auto c = block_[static_cast<std::size_t>(e)]; c < block_[static_cast<std::size_t>(e) + 1]; ++c)
          cols_.push_back(c);
    Xcur_ = X_(Eigen::all, cols_);
    // Warm start: the previous estimates of the columns still in, 0 for a new block.
    LogisticOptions fo = opt_.fit;
    if (fo.start.size() == 0 && !prev_cols_.empty()) {
      fo.start = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(cols_.size()));
      for (std::size_t a = 0, b = 0; a < cols_.size(); ++a) {
        while (b < prev_cols_.size() && prev_cols_[b] < cols_[a]) ++b;
        if (b < prev_cols_.size() && prev_cols_[b] == cols_[a]) fo.start[static_cast<Eigen::Index>(a)] = fit_.beta[static_cast<Eigen::Index>(b)];
      }
    }
    // Class-only designs: the information X'VX from cross-tabulated codes, not a dense rank update.
    CrossProduct xvx;
    std::vector<int> model;
    if (codes_.effects()) {
      for (int e = 0; e < E_; ++e)
        if (in_[static_cast<std::size_t>(e)]) model.push_back(e);
      xvx = [this, &model](const Eigen::VectorXd& v) { return weighted_crossprod(codes_, model, v); };
    }
    Eigen::MatrixXd xwx;  // X'WX of the model: a block of the replicate's whole X'WX
    if (codes_.effects()) xwx = Hw_(cols_, cols_);
    const Eigen::MatrixXd* pw = codes_.effects() ? &xwx : nullptr;
    fit_ = fit_logistic(Xcur_, y_, w_, fo, xvx, pw);
    if (!fit_.converged()) fit_ = fit_logistic(Xcur_, y_, w_, opt_.fit, xvx, pw);  // a bad start must not change the answer
    prev_cols_ = cols_;
  }

  int n_in() const {
    int k = 0;
    for (int e = 0; e < E_; ++e)
      k += in_[static_cast<std::size_t>(e)] && names_[static_cast<std::size_t>(e)] != "Intercept";
    return k;
  }

  // A step to a model fitted before ends the selection (SAS: "identical to a previous model").
  bool would_cycle(int e) {
    auto next = in_;
    next[static_cast<std::size_t>(e)] = !next[static_cast<std::size_t>(e)];
    if (!seen_.count(next)) return false;
    res_.cycle = true;
    res_.stop_reason =
        "model at the next step (" + names_[static_cast<std::size_t>(e)] + ") was already fitted: selection cycle";
    return true;
  }

  void take(int e, bool entered, const ChiSqTest& t) {
    in_[static_cast<std::size_t>(e)] = entered;
    seen_.insert(in_);
    refit();
    res_.steps.push_back(
        {static_cast<int>(res_.steps.size()) + 1, e, names_[static_cast<std::size_t>(e)], entered, t, n_in()});
  }

  bool try_enter() {
    std::vector<bool> active(static_cast<std::size_t>(E_), false);
    bool any = false;
    for (int e = 0; e < E_; ++e) {
      if (in_[static_cast<std::size_t>(e)]) continue;
      bool ok = true;
      for (int m : needs_[static_cast<std::size_t>(e)]) ok = ok && in_[static_cast<std::size_t>(m)];
      active[static_cast<std::size_t>(e)] = ok;
      any = any || ok;
    }
    if (!any) return false;
    std::vector<int> model;
    for (int e = 0; e < E_; ++e)
      if (in_[static_cast<std::size_t>(e)]) model.push_back(e);
    const auto tests = codes_.effects() ? score_tests(codes_, model, fit_.cov, fit_.mu, y_, w_, active)
                                        : score_tests(Xcur_, fit_.cov, fit_.mu, y_, w_, X_, block_, active);
    int best = -1;
    for (int e = 0; e < E_; ++e) {
      const auto& t = tests[static_cast<std::size_t>(e)];
      if (!active[static_cast<std::size_t>(e)] || t.df == 0) continue;
      // Smallest p; among p-values equal (often 0 in double), the largest chi-square.
      if (best < 0 || t.p_value < tests[static_cast<std::size_t>(best)].p_value ||
          (t.p_value == tests[static_cast<std::size_t>(best)].p_value &&
           t.chisq > tests[static_cast<std::size_t>(best)].chisq))
        best = e;
    }
    if (best < 0 || !(tests[static_cast<std::size_t>(best)].p_value < opt_.slentry)) return false;
    if (would_cycle(best)) return false;
    take(best, true, tests[static_cast<std::size_t>(best)]);
    return true;
  }

  bool try_remove() {
    int worst = -1;
    ChiSqTest worst_t;
    for (int e = 0; e < E_; ++e) {
      if (!in_[static_cast<std::size_t>(e)] || forced_[static_cast<std::size_t>(e)]) continue;
      bool needed = false;  // hierarchy: an interaction in the model keeps its main effects
      for (int m = 0; m < E_; ++m)
        if (in_[static_cast<std::size_t>(m)])
          for (int k : needs_[static_cast<std::size_t>(m)]) needed = needed || k == e;
      if (needed) continue;
      std::vector<Eigen::Index> pos;
      for (std::size_t j = 0; j < cols_.size(); ++j)
        if (cols_[j] >= block_[static_cast<std::size_t>(e)] && cols_[j] < block_[static_cast<std::size_t>(e) + 1])
          pos.push_back(static_cast<Eigen::Index>(j));
      const ChiSqTest t = wald_test(fit_, pos);
      if (worst < 0 || t.p_value > worst_t.p_value || (t.p_value == worst_t.p_value && t.chisq < worst_t.chisq)) {
        worst = e;
        worst_t = t;
      }
    }
    if (worst < 0 || !(worst_t.p_value > opt_.slstay)) return false;
    if (would_cycle(worst)) return false;
    take(worst, false, worst_t);
    return true;
  }

  SelectionResult finish() {
    for (int e = 0; e < E_; ++e)
      if (in_[static_cast<std::size_t>(e)]) res_.selected.push_back(e);
    res_.columns = cols_;
    res_.fit = fit_;
    return std::move(res_);
  }

  Eigen::Ref<const Eigen::MatrixXd> X_;
  const std::vector<Eigen::Index>& block_;
  const std::vector<std::string>& names_;
  Eigen::Ref<const Eigen::VectorXd> y_, w_;
  const SelectionOptions& opt_;
  const int E_;
  std::vector<bool> forced_, in_;
  std::vector<std::vector<int>> needs_;
  std::set<std::vector<bool>> seen_;
  std::vector<Eigen::Index> cols_, prev_cols_;
  Eigen::MatrixXd Xcur_;
  ClassCodes codes_;
  Eigen::MatrixXd Hw_;  // X'WX over all columns (class designs)
  LogisticFit fit_;
  SelectionResult res_;
};

}  // namespace

SelectionResult select_effects(Eigen::Ref<const Eigen::MatrixXd> X, const std::vector<Eigen::Index>& block,
                               const std::vector<std::string>& names, Eigen::Ref<const Eigen::VectorXd> y,
                               Eigen::Ref<const Eigen::VectorXd> w, const SelectionOptions& opt) {
  return Selector(X, block, names, y, w, opt).run();
}

}  // namespace dmde::model
