#include "worker/prepare.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include <boost/serialization/utility.hpp>

#include "core/serialize.hpp"
#include "model/association.hpp"

namespace dmde::worker {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string join_labels(const std::vector<std::string>& l) {
  std::string s;
  for (std::size_t i = 0; i < l.size(); ++i) s += (i ? " | " : "") + l[i];
  return s;
}

/// Screening and transform of one raw column (pure function of that column).
std::pair<VarReport, model::VariableTransform> prepare_one(const VarInfo& v, Eigen::Ref<const Eigen::VectorXd> x,
                                                           Eigen::Ref<const Eigen::VectorXd> y,
                                                           Eigen::Ref<const Eigen::VectorXd> w,
                                                           const model::PrepOptions& opt) {
  VarReport r;
  r.name = v.name;
  r.kind = v.kind == VarKind::Numeric ? "numeric" : "categorical";
  r.theme = v.theme;
  // Numeric columns are sorted once for both the variation check and the pre-bins.
  const auto order = v.kind == VarKind::Numeric ? model::observed_order(x) : std::vector<Eigen::Index>{};
  const auto vs = model::variation_stats(x, w, v.kind == VarKind::Numeric ? &order : nullptr);
  r.observed_share = vs.observed_share, r.mode_share = vs.mode_share, r.distinct = vs.distinct;
  model::VariableTransform t;
  if (vs.observed_share < opt.min_observed) {
    r.reason = "too few observed values";
    return {r, t};
  }
  if (vs.mode_share > opt.max_mode_share || vs.distinct < 2) {
    r.reason = "too little variation";
    return {r, t};
  }
  model::BinningInfo info;
  t = v.kind == VarKind::Numeric ? model::bin_numeric(v.name, x, y, w, opt, &order, &info)
                                 : model::group_levels(v.name, x, v.levels, y, w, opt, &info);
  r.n_classes = t.n_classes();
  r.classes = join_labels(t.labels);
  Eigen::VectorXi codes(x.size());
  t.apply(x, codes);
  const auto link = model::target_link(codes, t.n_classes(), y, w);
  r.chi2 = link.chi2, r.df = link.df, r.pvalue = link.pvalue, r.iv = link.iv;
  // The classes were chosen to separate the target: the test is adjusted for that search (CHAID),
  // else most noise variables look significant.
  r.pvalue_adj = std::min(1.0, link.pvalue * info.multiplier);
  if (t.n_classes() < 2) r.reason = "one class left after supervised merging";
  else if (r.pvalue_adj > opt.max_pvalue) r.reason = "weak link with target (p-value)";
  else if (link.iv < opt.min_iv && r.pvalue_adj > opt.strong_pvalue) r.reason = "weak link with target (information value)";
  return {r, t};
}

}  // namespace

Eigen::MatrixXd association_matrix(const Comm& comm, Eigen::Ref<const Eigen::MatrixXi> codes, const std::vector<int>& k,
                                   Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<bool>& numeric,
                                   Eigen::Ref<const Eigen::VectorXd> w, std::int64_t* pairs) {
  const Eigen::Index m = codes.cols();
  // Block side: large enough for efficient matrix products, small enough to balance ~600 candidates over ranks.
  constexpr Eigen::Index B = 128;
  const Eigen::Index nb = (m + B - 1) / B;
  // Block pairs (I <= J) in lexicographic order; pair q belongs to rank q % size.
  std::vector<double> mine;
  std::int64_t q = 0, count = 0;
  model::AssociationWorkspace ws;  // scratch panels reused by this rank's blocks
  for (Eigen::Index bi = 0; bi < nb; ++bi)
    for (Eigen::Index bj = bi; bj < nb; ++bj, ++q) {
      if (q % comm.size() != comm.rank()) continue;
      const Eigen::Index i0 = bi * B, i1 = std::min(m, i0 + B), j0 = bj * B, j1 = std::min(m, j0 + B);
      const Eigen::MatrixXd blk = model::association_block(codes, k, raw, numeric, w, i0, i1, j0, j1, &ws);
      for (Eigen::Index i = i0; i < i1; ++i)
        for (Eigen::Index j = std::max(i + 1, j0); j < j1; ++j) mine.push_back(blk(i - i0, j - j0));
    }
  const auto all = comm.allgather(to_bytes(mine));
  std::vector<std::vector<double>> got(all.size());
  for (std::size_t r = 0; r < all.size(); ++r) from_bytes(all[r], got[r]);
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(m, m);
  std::vector<std::size_t> pos(all.size(), 0);
  q = 0;
  for (Eigen::Index bi = 0; bi < nb; ++bi)
    for (Eigen::Index bj = bi; bj < nb; ++bj, ++q) {
      const auto r = static_cast<std::size_t>(q % comm.size());
      for (Eigen::Index i = bi * B; i < std::min(m, (bi + 1) * B); ++i)
        for (Eigen::Index j = std::max(i + 1, bj * B); j < std::min(m, (bj + 1) * B); ++j, ++count)
          a(i, j) = a(j, i) = got[r].at(pos[r]++);
    }
  if (pairs) *pairs = count;
  return a;
}

PrepareResult prepare(const Comm& comm, const Table& t, const std::string& target, const model::PrepOptions& opt,
                      model::WeightMode weights) {
  const auto t0 = std::chrono::steady_clock::now();
  const Eigen::VectorXd y = t.outcome(target);
  for (Eigen::Index i = 0; i < y.size(); ++i)
    if (!(y[i] == 0.0 || y[i] == 1.0))
      throw InputError("target '" + target + "' must be 0/1 on every row (row " + std::to_string(i + 1) + ")");
  const Eigen::VectorXd w = model::effective_weights(t.weight, t.rows(), weights);
  const auto p = static_cast<std::int64_t>(t.schema.vars.size());

  // 1-3. Screening and transforms, variable j on rank j % size.
  std::vector<std::pair<std::int64_t, std::pair<VarReport, model::VariableTransform>>> mine;
  for (std::int64_t j = comm.rank(); j < p; j += comm.size())
    mine.emplace_back(j, prepare_one(t.schema.vars[static_cast<std::size_t>(j)], t.X.col(j), y, w, opt));
  std::vector<VarReport> report(static_cast<std::size_t>(p));
  std::vector<model::VariableTransform> tr(static_cast<std::size_t>(p));
  for (const auto& bytes : comm.allgather(to_bytes(mine))) {
    decltype(mine) got;
    from_bytes(bytes, got);
    for (auto& [j, rt] : got) report[static_cast<std::size_t>(j)] = std::move(rt.first), tr[static_cast<std::size_t>(j)] = std::move(rt.second);
  }
  PrepareResult res;
  res.seconds_screen = since(t0);

  // 4. Associations among the screened candidates.
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<std::size_t> cand;
  for (std::size_t j = 0; j < report.size(); ++j)
    if (report[j].reason.empty()) cand.push_back(j);
  const auto m = static_cast<Eigen::Index>(cand.size());
  Eigen::MatrixXi codes(t.rows(), m);
  Eigen::MatrixXd raw(t.rows(), m);
  std::vector<int> k;
  std::vector<bool> numeric;
  for (Eigen::Index c = 0; c < m; ++c) {
    const auto j = cand[static_cast<std::size_t>(c)];
    tr[j].apply(t.X.col(static_cast<Eigen::Index>(j)), codes.col(c));
    raw.col(c) = t.X.col(static_cast<Eigen::Index>(j));
    k.push_back(tr[j].n_classes());
    numeric.push_back(tr[j].kind == model::PrepKind::Numeric);
    res.candidates.push_back(report[j].name);
  }
  res.association = association_matrix(comm, codes, k, raw, numeric, w, &res.pairs);
  res.seconds_association = since(t1);

  // 5. Clustering and representatives (same on every rank: no communication).
  const auto t2 = std::chrono::steady_clock::now();
  const Eigen::MatrixXd dist = Eigen::MatrixXd::Ones(m, m) - res.association;
  res.cluster = model::average_linkage_clusters(dist, opt.cluster_threshold);
  std::vector<double> score;
  for (auto j : cand) score.push_back(report[j].chi2);
  const auto rep = model::cluster_representatives(res.cluster, score);
  for (Eigen::Index c = 0; c < m; ++c) {
    auto& r = report[cand[static_cast<std::size_t>(c)]];
    const int cl = res.cluster[static_cast<std::size_t>(c)];
    const int rc = rep[static_cast<std::size_t>(cl)];
    r.cluster = cl;
    r.representative = res.candidates[static_cast<std::size_t>(rc)];
    r.association = res.association(c, rc);
    if (rc == c) r.kept = true;
    else r.reason = "correlated with representative " + r.representative;
  }
  res.seconds_cluster = since(t2);
  res.spec.target = target;
  res.spec.weight_mode = model::to_string(weights);
  for (std::size_t j = 0; j < report.size(); ++j)
    if (report[j].kept) res.spec.vars.push_back(std::move(tr[j]));
  res.report = std::move(report);
  return res;
}

Table apply_spec(const model::PrepSpec& spec, const Table& t, model::UnseenCounts* unseen) {
  Table out;
  out.schema.kind = "prepared";
  out.schema.n_rows = t.schema.n_rows;
  out.schema.outcomes = t.schema.outcomes;
  out.schema.meta = t.schema.meta;
  out.schema.meta["prep_target"] = spec.target;
  out.id = t.id, out.caf = t.caf, out.weight = t.weight, out.outcomes = t.outcomes;
  out.X.resize(t.rows(), static_cast<Eigen::Index>(spec.vars.size()));
  Eigen::VectorXi codes(t.rows());
  model::UnseenCounts total;
  for (std::size_t c = 0; c < spec.vars.size(); ++c) {
    const auto& v = spec.vars[c];
    const int j = t.schema.require(v.source, "the table");
    const auto& src = t.schema.vars[static_cast<std::size_t>(j)];
    const bool cat = src.kind == VarKind::Categorical;
    if (cat != (v.kind == model::PrepKind::Categorical))
      throw InputError("variable '" + v.source + "' has a different kind than in the preprocessing spec");
    // Categorical codes are matched by level name, so a file with another level order still works.
    total += cat ? v.with_levels(src.levels).apply(t.X.col(j), codes) : v.apply(t.X.col(j), codes);
    out.X.col(static_cast<Eigen::Index>(c)) = codes.cast<double>();
    out.schema.vars.push_back(VarInfo{v.name, VarKind::Categorical, src.theme, src.window, v.labels});
  }
  if (unseen) *unseen = total;
  return out;
}

}  // namespace dmde::worker
