#include "worker/interactions.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/atomic.hpp"
#include "model/hypothesis.hpp"
#include "core/h5.hpp"
#include "core/serialize.hpp"
#include "worker/validation.hpp"
#include "worker/work_queue.hpp"

namespace dmde::worker {
namespace {

// Pairs scored per task: one class-code kernel call each. Fixed (not per rank), so that every
// pair's statistic comes from the same computation at any rank count.
constexpr std::size_t kPairsPerTask = 64;

}  // namespace

InteractionReport search_interactions(const Comm& comm, const ClassData& d, const std::vector<int>& kept,
                                      const InteractionOptions& opt, const StepwiseOptions& fit_opt) {
  InteractionReport rep;
  for (std::size_t i = 0; i < kept.size(); ++i)
    for (std::size_t j = i + 1; j < kept.size(); ++j) rep.pairs.push_back({kept[i], kept[j]});
  const ClassFit base = fit_effects(d, kept, d.w, fit_opt);  // every rank: deterministic, cheap
  const Eigen::VectorXd mu = linear_predictor(d, base).unaryExpr([](double e) { return 1.0 / (1.0 + std::exp(-e)); });
  std::vector<int> model_effects(base.effects.size() + 1);
  std::iota(model_effects.begin(), model_effects.end(), 0);
  const std::size_t n_pairs = rep.pairs.size();
  std::vector<std::int64_t> tasks((n_pairs + kPairsPerTask - 1) / kPairsPerTask);
  std::iota(tasks.begin(), tasks.end(), 0);
  Progress progress("interaction tests", static_cast<std::int64_t>(n_pairs), 0, comm.is_root() && opt.progress);
  // A task: the score tests of a chunk of pairs given the kept model, all at once.
  auto compute = [&](std::int64_t t) {
    const std::size_t p0 = static_cast<std::size_t>(t) * kPairsPerTask, p1 = std::min(n_pairs, p0 + kPairsPerTask);
    std::vector<std::pair<double, int>> res(p1 - p0);
    std::vector<std::pair<int, int>> chunk;
    for (std::size_t k = p0; k < p1; ++k) chunk.emplace_back(rep.pairs[k].a, rep.pairs[k].b);
    const auto z = class_codes(d, base.effects, chunk);
    if (z.effects() > 0) {
      std::vector<bool> active(static_cast<std::size_t>(z.effects()), false);
      std::fill(active.begin() + static_cast<std::ptrdiff_t>(model_effects.size()), active.end(), true);
      const auto tests = model::score_tests(z, model_effects, base.cov, mu, d.y, d.w, active);
      for (std::size_t k = p0; k < p1; ++k) res[k - p0] = {tests[model_effects.size() + k - p0].chisq, tests[model_effects.size() + k - p0].df};
    } else {  // a pair with more cells than class codes hold: its dense block
      for (std::size_t k = p0; k < p1; ++k) {
        int df = 0;
        const double chi = score_block(d, base, d.w, interaction_dummies(d, rep.pairs[k].a, rep.pairs[k].b), &df);
        res[k - p0] = {chi, df};
      }
    }
    std::string s(res.size() * (sizeof(double) + sizeof(int)), '\0');
    for (std::size_t k = 0; k < res.size(); ++k) {
      std::memcpy(s.data() + k * (sizeof(double) + sizeof(int)), &res[k].first, sizeof(double));
      std::memcpy(s.data() + k * (sizeof(double) + sizeof(int)) + sizeof(double), &res[k].second, sizeof(int));
    }
    return s;
  };
  auto commit = [&](std::int64_t t, const std::string& s) {
    const std::size_t p0 = static_cast<std::size_t>(t) * kPairsPerTask;
    for (std::size_t k = 0; k < s.size() / (sizeof(double) + sizeof(int)); ++k) {
      auto& pt = rep.pairs[p0 + k];
      std::memcpy(&pt.chisq, s.data() + k * (sizeof(double) + sizeof(int)), sizeof pt.chisq);
      std::memcpy(&pt.df, s.data() + k * (sizeof(double) + sizeof(int)) + sizeof(double), sizeof pt.df);
      pt.p = chisq_p(pt.chisq, pt.df);
      progress.tick();
    }
  };
  run_work_queue(comm, tasks, compute, commit, {opt.prefetch, -1});
  progress.finish();
  std::string bytes;
  if (comm.is_root()) {
    // Holm step-down adjusted p-values.
    std::vector<std::size_t> order(rep.pairs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return rep.pairs[x].p < rep.pairs[y].p; });
    const double m = static_cast<double>(order.size());
    double run = 0;
    for (std::size_t r = 0; r < order.size(); ++r) {
      auto& pt = rep.pairs[order[r]];
      run = std::max(run, std::min(1.0, (m - static_cast<double>(r)) * pt.p));
      pt.p_holm = run;
      pt.significant = pt.df > 0 && run < opt.alpha;
      pt.cv_gain = std::nan("");
    }
    // Cross-validated gain check, most significant first.
    ClassData aug = d;
    const auto fold = fold_assignment(d.y, opt.folds, opt.seed, 0);
    std::vector<int> effects = kept;
    rep.base_cv_auc = rep.final_cv_auc = cv_auc(aug, effects, fold, opt.folds, fit_opt);
    for (std::size_t idx : order) {
      auto& pt = rep.pairs[idx];
      if (!pt.significant) continue;
      const int v = add_interaction(aug, pt.a, pt.b);
      auto cand = effects;
      cand.push_back(v);
      const double auc = cv_auc(aug, cand, fold, opt.folds, fit_opt);
      pt.cv_gain = auc - rep.final_cv_auc;
      if (pt.cv_gain > opt.min_gain) {
        pt.added = true;
        effects = cand;
        rep.final_cv_auc = auc;
      }
    }
    bytes = to_bytes(rep);
  }
  comm.bcast(bytes);
  if (!comm.is_root()) from_bytes(bytes, rep);
  return rep;
}

void write_interactions(const std::string& path, const InteractionReport& r, const ClassData& d) {
  AtomicPath out(path);
  {
    auto f = h5::File::create(out.temp());
    f.set_attr("dmde_format", std::string("dmde-interactions"));
    f.set_attr("base_cv_auc", r.base_cv_auc);
    f.set_attr("final_cv_auc", r.final_cv_auc);
    auto g = f.create_group("pairs");
    std::vector<std::string> a, b;
    std::vector<double> chi, p, ph, gain;
    std::vector<std::int32_t> df, sig, added;
    for (const auto& pt : r.pairs) {
      a.push_back(d.names[static_cast<std::size_t>(pt.a)]);
      b.push_back(d.names[static_cast<std::size_t>(pt.b)]);
      chi.push_back(pt.chisq);
      p.push_back(pt.p);
      ph.push_back(pt.p_holm);
      gain.push_back(pt.cv_gain);
      df.push_back(pt.df);
      sig.push_back(pt.significant);
      added.push_back(pt.added);
    }
    g.write_strings("a", a);
    g.write_strings("b", b);
    g.write_vector("chisq", chi);
    g.write_vector("p", p);
    g.write_vector("p_holm", ph);
    g.write_vector("cv_gain", gain);
    g.write_vector("df", df);
    g.write_vector("significant", sig);
    g.write_vector("added", added);
  }
  out.commit();
}

std::vector<std::pair<std::string, std::string>> read_added_interactions(const std::string& path) {
  auto f = h5::File::open(path);
  auto g = f.group("pairs");
  const auto a = g.read_strings("a"), b = g.read_strings("b");
  const auto added = a.empty() ? std::vector<std::int32_t>{} : g.dataset("added").read_all<std::int32_t>();
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (added[k]) out.emplace_back(a[k], b[k]);
  return out;
}

}  // namespace dmde::worker
