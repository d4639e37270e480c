// After the per-dossier pass: national percentiles, reductions, drift, summaries, manifest.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <boost/serialization/array.hpp>
#include <cmath>
#include <limits>
#include <span>

#include "core/serialize.hpp"
#include "worker/score_io.hpp"

namespace dmde::worker {
namespace {

std::vector<double> shares(const std::int64_t* counts, std::size_t n) {
  std::vector<double> s(n);
  double tot = 0;
  for (std::size_t k = 0; k < n; ++k) tot += static_cast<double>(counts[k]);
  for (std::size_t k = 0; k < n; ++k) s[k] = tot > 0 ? static_cast<double>(counts[k]) / tot : 0.0;
  return s;
}

/// National percentiles, written from each row's histogram bin kept while scoring (rows in the
/// order they were scored; no second read of the probabilities).
double national_percentiles(const Comm& comm, const ScorePlan& plan, const ScoreOutput& out, HugeVector<std::int64_t>& hist,
                            const HugeVector<std::uint32_t>& row_bins) {
  const auto t0 = std::chrono::steady_clock::now();
  comm.allreduce_sum(std::span<std::int64_t>(hist));
  spdlog::debug("  histogram reduced: {:.3f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  const auto bins = hist.size();
  std::vector<double> pct_of(bins);  // a bin's percentile: 100 * (#lower + #equal / 2) / n
  std::int64_t acc = 0, maxbin = 0;
  for (std::size_t k = 0; k < bins; ++k) acc += hist[k], maxbin = std::max(maxbin, hist[k]);
  const double n = static_cast<double>(std::max<std::int64_t>(acc, 1));
  acc = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    pct_of[k] = 100.0 * (static_cast<double>(acc) + 0.5 * static_cast<double>(hist[k])) / n;
    acc += hist[k];
  }
  constexpr std::int64_t kChunk = 1 << 20;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (auto c : plan.cafs_of(comm.rank()))
    for (const auto& s : plan.caf_segments[c])
      for (std::int64_t o = s.begin; o < s.end; o += kChunk) ranges.emplace_back(o, std::min(kChunk, s.end - o));
  const auto mine = static_cast<std::int64_t>(ranges.size());
  const std::int64_t rounds = out.collective() ? comm.allreduce_max(mine) : mine;
  std::vector<double> pct;
  std::size_t at = 0;
  for (std::int64_t r = 0; r < rounds; ++r) {
    if (r >= mine) {
      out.write_pct_national(0, 0, pct.data());
      continue;
    }
    const auto [o, cnt] = ranges[static_cast<std::size_t>(r)];
    if (at + static_cast<std::size_t>(cnt) > row_bins.size()) throw Error("national percentiles: rows missing their bins");
    pct.resize(static_cast<std::size_t>(cnt));
    for (std::size_t i = 0; i < pct.size(); ++i) pct[i] = pct_of[row_bins[at + i]];
    at += pct.size();
    out.write_pct_national(o, cnt, pct.data());
  }
  return 50.0 * static_cast<double>(maxbin) / n;  // half the heaviest bin, in percentile points
}

/// All Cafs' results on every rank, in Caf order, with listed-but-empty Cafs; reconciled with the plan.
std::vector<CafResult> gather_cafs(const Comm& comm, const ScorePlan& plan, const std::vector<CafResult>& mine,
                                   const std::vector<std::int32_t>& listed) {
  auto parts = comm.gather(to_bytes(mine));
  std::string bytes, err;
  if (comm.is_root()) {
    std::vector<CafResult> all;
    for (const auto& part : parts) {
      std::vector<CafResult> v;
      from_bytes(part, v);
      all.insert(all.end(), v.begin(), v.end());
    }
    std::sort(all.begin(), all.end(), [](const CafResult& a, const CafResult& b) { return a.caf < b.caf; });
    std::int64_t total = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      total += all[i].count;
      if (i >= plan.cafs.size() || all[i].caf != plan.cafs[i] || all[i].count != plan.caf_rows[i])
        err = "manifest does not reconcile: Caf " + std::to_string(all[i].caf) + " scored rows differ from the input";
    }
    if (all.size() != plan.cafs.size() || total != plan.n_rows)
      err = "manifest does not reconcile: " + std::to_string(total) + " rows scored of " + std::to_string(plan.n_rows);
    if (err.empty() && plan.grouped) {  // ids increasing in file order: within each Caf and from one Caf to the next
      std::vector<const CafResult*> in_file(all.size());
      for (std::size_t i = 0; i < all.size(); ++i) in_file[i] = &all[i];
      std::sort(in_file.begin(), in_file.end(), [&](const CafResult* a, const CafResult* b) {
        return plan.caf_segments[static_cast<std::size_t>(a - all.data())].front().begin <
               plan.caf_segments[static_cast<std::size_t>(b - all.data())].front().begin;
      });
      bool up = true;
      for (std::size_t i = 0; i < in_file.size(); ++i)
        up = up && in_file[i]->ids_increasing && (i == 0 || in_file[i - 1]->last_id < in_file[i]->first_id);
      if (!up) spdlog::warn("dossier ids are not increasing in file order: duplicates are checked within each Caf only");
    }
    for (auto c : listed) {
      if (std::binary_search(plan.cafs.begin(), plan.cafs.end(), c)) continue;
      if (std::any_of(all.begin(), all.end(), [c](const CafResult& r) { return r.caf == c; })) continue;
      CafResult e;
      e.caf = c;
      e.mean = std::numeric_limits<double>::quiet_NaN();
      e.deciles.fill(std::numeric_limits<double>::quiet_NaN());
      all.push_back(e);
      spdlog::warn("Caf {} is listed in the population but has no dossiers (summary row with count 0)", c);
    }
    std::sort(all.begin(), all.end(), [](const CafResult& a, const CafResult& b) { return a.caf < b.caf; });
    bytes = to_bytes(all);
  }
  comm.bcast(err);
  if (!err.empty()) throw Error(err);
  comm.bcast(bytes);
  std::vector<CafResult> all;
  from_bytes(bytes, all);
  return all;
}

}  // namespace

ScoreResult finish_scoring(const Comm& comm, const ScoreModel& m, const ScorePlan& plan, const ScoreOutput& out,
                           ScoreTallies& t, const ScoreOptions& opt, const std::vector<std::int32_t>& listed) {
  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    spdlog::debug("  {}: {:.3f} s", what, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  const double max_err = national_percentiles(comm, plan, out, t.hist, t.row_bins);
  lap("national percentiles written");
  comm.allreduce_sum(std::span<std::int64_t>(t.class_counts));
  comm.allreduce_sum(std::span<std::int64_t>(t.score_bins));
  const std::size_t p = t.var_counts.size();
  std::vector<std::int64_t> vc(4 * p);
  for (std::size_t k = 0; k < p; ++k) {
    const auto& c = t.var_counts[k];
    vc[4 * k] = c.missing, vc[4 * k + 1] = c.nonfinite, vc[4 * k + 2] = c.out_of_range, vc[4 * k + 3] = c.unseen;
  }
  comm.allreduce_sum(std::span<std::int64_t>(vc));
  const auto cafs = gather_cafs(comm, plan, t.cafs, listed);
  lap("tallies reduced");

  DriftTable d;
  ScoreResult res;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < p; ++k) {
    const auto& c = m.coding[k];
    d.input.push_back(m.card.inputs[k]);
    d.variable.push_back(c.variable);
    d.missing.push_back(vc[4 * k]), d.nonfinite.push_back(vc[4 * k + 1]);
    d.out_of_range.push_back(vc[4 * k + 2]), d.unseen.push_back(vc[4 * k + 3]);
    const auto n = static_cast<std::size_t>(c.n_classes);
    const auto tonight = shares(t.class_counts.data() + t.class_offset[k], n);
    const auto learn = c.learn_share.empty() ? std::vector<double>(n, nan) : c.learn_share;
    const double v = c.learn_share.empty() ? nan : psi(learn, tonight);
    d.psi.push_back(v);
    d.level.push_back(std::isnan(v) ? -1 : psi_level(v));
    res.max_psi_level = std::max(res.max_psi_level, static_cast<int>(d.level.back()));
    d.class_offset.push_back(t.class_offset[k]);
    d.share_learning.insert(d.share_learning.end(), learn.begin(), learn.end());
    d.share_tonight.insert(d.share_tonight.end(), tonight.begin(), tonight.end());
    if (comm.is_root() && d.level.back() > 0)
      spdlog::warn("drift: input '{}' PSI {:.3f} ({})", d.input.back(), v, d.level.back() == 1 ? "moderate" : "major");
    if (comm.is_root() && (vc[4 * k + 1] || vc[4 * k + 3]))
      spdlog::warn("input '{}': {} non-finite value(s) coded as missing, {} unseen level(s)", d.input.back(),
                   vc[4 * k + 1], vc[4 * k + 3]);
  }
  d.class_offset.push_back(t.class_offset.back());
  d.score_psi = m.score_learn_share.empty() ? nan : psi(m.score_learn_share, shares(t.score_bins.data(), t.score_bins.size()));
  d.score_level = std::isnan(d.score_psi) ? -1 : psi_level(d.score_psi);
  res.max_psi_level = std::max(res.max_psi_level, static_cast<int>(d.score_level));
  if (comm.is_root() && d.score_level > 0) spdlog::warn("drift: score PSI {:.3f}", d.score_psi);

  std::vector<std::string> effects;
  for (const auto& term : m.card.terms) effects.push_back(term.effect);
  out.write_tables(cafs, d, effects);
  lap("tables written");
  auto pn = out.file().group("score").dataset("pct_national");
  pn.set_attr("bins", static_cast<std::int64_t>(t.hist.size()));
  pn.set_attr("max_error", max_err);
  pn.set_attr("definition", std::string("100 * (#lower + #equal/2) / n over the nation; lower/equal counted by "
                                        "probability bins of width 2^-20: error <= max_error percentile points"));
  out.file().group("score").dataset("effects").set_attr("baseline", m.card.baseline());
  out.file().group("score").dataset("rank_caf").set_attr(
      "ties", std::string("descending probability, then ascending id"));
  for (const auto& c : cafs) res.flagged += c.flagged;
  res.rows = plan.n_rows;
  res.cafs = static_cast<std::int64_t>(plan.cafs.size());
  res.score_psi = d.score_psi;
  (void)opt;
  return res;
}

}  // namespace dmde::worker
