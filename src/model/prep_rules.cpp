#include "model/prep_rules.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace dmde::model {

void PrepOptions::validate() const {
  auto share = [](double v, const char* what) {
    if (!(v >= 0.0 && v <= 1.0)) throw std::invalid_argument(std::string(what) + " must be in [0, 1]");
  };
  share(min_observed, "min_observed");
  share(max_mode_share, "max_mode_share");
  share(min_class_share, "min_class_share");
  share(merge_pvalue, "merge_pvalue");
  share(rare_level_share, "rare_level_share");
  share(max_pvalue, "max_pvalue");
  share(strong_pvalue, "strong_pvalue");
  share(cluster_threshold, "cluster_threshold");
  if (prebins < 2) throw std::invalid_argument("prebins must be >= 2");
  if (max_classes < 2) throw std::invalid_argument("max_classes must be >= 2");
  if (!(min_iv >= 0.0)) throw std::invalid_argument("min_iv must be >= 0");
  if (max_label < 8) throw std::invalid_argument("max_label must be >= 8");
}

double chi2_pair(const Bin& a, const Bin& b) {
  const double n = a.w + b.w, e = a.wy + b.wy, ne = n - e;
  if (a.w <= 0 || b.w <= 0 || e <= 0 || ne <= 0) return 0.0;
  const double d = a.wy * (b.w - b.wy) - b.wy * (a.w - a.wy);
  return n * d * d / (a.w * b.w * e * ne);
}

double chi2_pvalue(double chi2, int df) {
  if (df <= 0 || !(chi2 > 0)) return 1.0;
  if (std::isinf(chi2)) return 0.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), chi2));
}

std::vector<int> merge_bins(const std::vector<Bin>& bins, const MergeRule& rule) {
  std::vector<Bin> g = bins;
  std::vector<int> first(bins.size());  // first input bin of each current group
  std::iota(first.begin(), first.end(), 0);
  auto merge = [&](std::size_t i) {  // merges group i+1 into group i
    g[i].w += g[i + 1].w;
    g[i].wy += g[i + 1].wy;
    g.erase(g.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    first.erase(first.begin() + static_cast<std::ptrdiff_t>(i) + 1);
  };
  // Most similar adjacent pair among those `eligible` (leftmost on ties); npos when none.
  auto best_pair = [&](auto eligible) {
    std::size_t best = std::string::npos;
    double best_chi2 = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i + 1 < g.size(); ++i) {
      if (!eligible(i)) continue;
      const double c = chi2_pair(g[i], g[i + 1]);
      if (c < best_chi2) best_chi2 = c, best = i;
    }
    return best;
  };
  // 1. Too-light groups join their more similar neighbour, lightest first.
  while (g.size() > 1) {
    std::size_t light = std::string::npos;
    for (std::size_t i = 0; i < g.size(); ++i)
      if (g[i].w < rule.min_weight && (light == std::string::npos || g[i].w < g[light].w)) light = i;
    if (light == std::string::npos) break;
    if (light == 0) merge(0);
    else if (light + 1 == g.size()) merge(light - 1);
    else merge(chi2_pair(g[light - 1], g[light]) <= chi2_pair(g[light], g[light + 1]) ? light - 1 : light);
  }
  // 2. Monotone trend: the sign of the weighted covariance between position and rate.
  if (rule.monotone && g.size() > 2) {
    double sw = 0, si = 0, sr = 0;
    for (std::size_t i = 0; i < g.size(); ++i) sw += g[i].w, si += g[i].w * double(i), sr += g[i].wy;
    double cov = 0;
    for (std::size_t i = 0; i < g.size(); ++i) cov += g[i].w * (double(i) - si / sw) * (g[i].rate() - sr / sw);
    const double dir = cov >= 0 ? 1.0 : -1.0;
    for (;;) {
      const auto p = best_pair([&](std::size_t i) { return dir * (g[i + 1].rate() - g[i].rate()) < 0; });
      if (p == std::string::npos) break;
      merge(p);
    }
  }
  // 3. Too many groups, or adjacent groups not significantly different.
  while (g.size() > 1) {
    const auto p = best_pair([](std::size_t) { return true; });
    const bool too_many = static_cast<int>(g.size()) > rule.max_classes;
    if (!too_many && chi2_pvalue(chi2_pair(g[p], g[p + 1]), 1) <= rule.merge_pvalue) break;
    merge(p);
  }
  std::vector<int> out(bins.size());
  for (std::size_t k = 0; k < first.size(); ++k) {
    const std::size_t end = k + 1 < first.size() ? static_cast<std::size_t>(first[k + 1]) : bins.size();
    for (std::size_t b = static_cast<std::size_t>(first[k]); b < end; ++b) out[b] = static_cast<int>(k);
  }
  return out;
}

double bonferroni_multiplier(bool ordinal, int units, int groups) {
  if (groups <= 1 || units <= groups) return 1.0;
  if (ordinal) {  // C(u-1, g-1)
    double c = 1.0;
    for (int i = 1; i <= groups - 1; ++i) c = c * double(units - groups + i) / double(i);
    return std::round(c);
  }
  // Stirling numbers of the second kind by S(n, k) = k S(n-1, k) + S(n-1, k-1), row by row.
  std::vector<double> S(static_cast<std::size_t>(groups) + 1, 0.0);
  S[0] = 1.0;
  for (int n = 1; n <= units; ++n) {
    for (int k = std::min(n, groups); k >= 1; --k) {
      const auto u = static_cast<std::size_t>(k);
      S[u] = double(k) * S[u] + S[u - 1];
    }
    S[0] = 0.0;  // S(n, 0) = 0 for n >= 1
  }
  return S[static_cast<std::size_t>(groups)];
}

std::vector<int> best_binary_split(const std::vector<Bin>& bins, double min_weight, double max_pvalue,
                                   double multiplier) {
  double total_w = 0, total_wy = 0;
  for (const auto& b : bins) total_w += b.w, total_wy += b.wy;
  Bin left;
  std::size_t best = 0;
  double best_chi2 = 0;
  for (std::size_t k = 1; k < bins.size(); ++k) {  // split before bin k
    left.w += bins[k - 1].w, left.wy += bins[k - 1].wy;
    const Bin right{total_w - left.w, total_wy - left.wy};
    if (left.w < min_weight || right.w < min_weight) continue;
    const double c = chi2_pair(left, right);
    if (c > best_chi2) best_chi2 = c, best = k;
  }
  if (best == 0 || chi2_pvalue(best_chi2, 1) * multiplier > max_pvalue) return {};
  std::vector<int> g(bins.size(), 0);
  for (std::size_t b = best; b < bins.size(); ++b) g[b] = 1;
  return g;
}

std::vector<Eigen::Index> observed_order(Eigen::Ref<const Eigen::VectorXd> x) {
  // LSD radix sort of order-preserving 64-bit keys, 11 bits a pass: stable, so ties keep index
  // order, which is exactly the (value, index) order, ~5x faster than a comparison sort (this
  // sort was the largest cost of screening). Passes whose digit is the same for all keys (the low
  // mantissa bits of values stored as float) are skipped.
  constexpr int kBits = 11, kPasses = 6;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::uint64_t> key, key2;
  std::vector<Eigen::Index> o, o2;
  key.reserve(static_cast<std::size_t>(x.size()));
  o.reserve(static_cast<std::size_t>(x.size()));
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) continue;
    const double v = x[i] == 0.0 ? 0.0 : x[i];  // -0 sorts as +0, as in a comparison sort
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    key.push_back(b >> 63 ? ~b : b | (std::uint64_t{1} << 63));
    o.push_back(i);
  }
  const std::size_t n = key.size();
  std::vector<std::size_t> count(kBuckets * kPasses, 0);
  for (auto k : key)
    for (int p = 0; p < kPasses; ++p) ++count[static_cast<std::size_t>(p) * kBuckets + ((k >> (p * kBits)) & (kBuckets - 1))];
  key2.resize(n);
  o2.resize(n);
  for (int p = 0; p < kPasses; ++p) {
    std::size_t* c = count.data() + static_cast<std::size_t>(p) * kBuckets;
    if (n == 0 || c[(key[0] >> (p * kBits)) & (kBuckets - 1)] == n) continue;  // one digit value: nothing to do
    std::size_t sum = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::size_t t = c[b];
      c[b] = sum;
      sum += t;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t d = c[(key[i] >> (p * kBits)) & (kBuckets - 1)]++;
      key2[d] = key[i];
      o2[d] = o[i];
    }
    key.swap(key2);
    o.swap(o2);
  }
  return o;
}

VariationStats variation_stats(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<const Eigen::VectorXd> w,
                               const std::vector<Eigen::Index>* order) {
  VariationStats s;
  const std::vector<Eigen::Index> own = order ? std::vector<Eigen::Index>{} : observed_order(x);
  const auto& o = order ? *order : own;
  const double total = w.sum();
  double wobs = 0, run = 0, mode = 0;
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (i == 0 || x[o[i]] != x[o[i - 1]]) run = 0, ++s.distinct;
    run += w[o[i]];
    wobs += w[o[i]];
    mode = std::max(mode, run);
  }
  if (total <= 0) return VariationStats{};
  s.observed_share = wobs / total;
  s.mode_share = std::max(mode, total - wobs) / total;
  return s;
}

TargetLink target_link(Eigen::Ref<const Eigen::VectorXi> codes, int k, Eigen::Ref<const Eigen::VectorXd> y,
                       Eigen::Ref<const Eigen::VectorXd> w) {
  std::vector<Bin> b(static_cast<std::size_t>(k));
  for (Eigen::Index i = 0; i < codes.size(); ++i) {
    const int c = codes[i];
    if (c < 0 || c >= k) throw std::invalid_argument("target_link: code out of range");
    b[static_cast<std::size_t>(c)].w += w[i];
    b[static_cast<std::size_t>(c)].wy += w[i] * y[i];
  }
  TargetLink t;
  double n = 0, e = 0;
  for (const auto& x : b) n += x.w, e += x.wy;
  const double ne = n - e;
  int nonempty = 0;
  for (const auto& x : b) {
    if (x.w <= 0) continue;
    ++nonempty;
    if (e > 0 && ne > 0) {
      const double ee = x.w * e / n, en = x.w * ne / n;
      t.chi2 += (x.wy - ee) * (x.wy - ee) / ee + ((x.w - x.wy) - en) * ((x.w - x.wy) - en) / en;
      const double pe = std::max(x.wy, 0.5) / e, pn = std::max(x.w - x.wy, 0.5) / ne;
      t.iv += (pe - pn) * std::log(pe / pn);
    }
  }
  t.df = std::max(nonempty - 1, 0);
  t.pvalue = chi2_pvalue(t.chi2, t.df);
  return t;
}

namespace {

// Largest class by weight (lowest index on ties): the fallback for unseen values.
int largest(const std::vector<double>& w) {
  return static_cast<int>(std::max_element(w.begin(), w.end()) - w.begin());
}

// Gives missing values their class: their own when heavy enough, else the most similar class.
void place_missing(VariableTransform& t, std::vector<Bin>& cls, const Bin& miss, double min_weight) {
  if (miss.w <= 0) return;
  if (miss.w >= min_weight || cls.empty()) {
    t.missing_class = static_cast<int>(cls.size());
    cls.push_back(miss);
    t.labels.push_back("missing");
    return;
  }
  std::size_t best = 0;
  for (std::size_t c = 1; c < cls.size(); ++c)
    if (chi2_pair(cls[c], miss) < chi2_pair(cls[best], miss)) best = c;
  t.missing_class = static_cast<int>(best);
  cls[best].w += miss.w;
  cls[best].wy += miss.wy;
  t.labels[best] += "+missing";
}

// merge_bins' groups, or the best significant two-group split when they left one group; fills `info`.
std::vector<int> two_group_fallback(std::vector<int> grp, const std::vector<Bin>& bins, const PrepOptions& opt,
                                    double total, bool ordinal, BinningInfo* info) {
  const int units = static_cast<int>(bins.size());
  if (units >= 2 && grp.back() == 0) {
    auto split = best_binary_split(bins, opt.rare_level_share * total, opt.merge_pvalue,
                                   bonferroni_multiplier(ordinal, units, 2));
    if (!split.empty()) grp = std::move(split);
  }
  if (info) {
    info->ordinal = ordinal;
    info->units = units;
    info->groups = grp.empty() ? 0 : grp.back() + 1;
    info->multiplier = bonferroni_multiplier(ordinal, units, info->groups);
  }
  return grp;
}

void check_inputs(Eigen::Index n, Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w) {
  if (y.size() != n || w.size() != n) throw std::invalid_argument("prepare: x, y and w sizes differ");
}

}  // namespace

VariableTransform bin_numeric(const std::string& name, Eigen::Ref<const Eigen::VectorXd> x,
                              Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w,
                              const PrepOptions& opt, const std::vector<Eigen::Index>* order, BinningInfo* info) {
  check_inputs(x.size(), y, w);
  VariableTransform t;
  t.source = t.name = name;
  t.kind = PrepKind::Numeric;
  Bin miss;
  double total = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    total += w[i];
    if (std::isnan(x[i])) miss.w += w[i], miss.wy += w[i] * y[i];
  }
  const std::vector<Eigen::Index> own = order ? std::vector<Eigen::Index>{} : observed_order(x);
  const auto& idx = order ? *order : own;
  double wobs = 0;
  for (auto i : idx) wobs += w[i];
  // Pre-bins of about wobs / prebins weight, split only between distinct values.
  std::vector<Bin> pre;
  std::vector<double> lower;  // first value of each pre-bin
  const double step = wobs / opt.prebins;
  double acc = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const double v = x[idx[k]];
    if (pre.empty() || (acc >= step && v != lower.back() && v != x[idx[k - 1]])) pre.emplace_back(), lower.push_back(v), acc = 0;
    pre.back().w += w[idx[k]];
    pre.back().wy += w[idx[k]] * y[idx[k]];
    acc += w[idx[k]];
  }
  MergeRule rule{opt.max_classes, opt.min_class_share * total, opt.merge_pvalue, opt.monotone};
  const auto grp = two_group_fallback(merge_bins(pre, rule), pre, opt, total, true, info);
  std::vector<Bin> cls;
  for (std::size_t b = 0; b < pre.size(); ++b) {
    if (b == 0 || grp[b] != grp[b - 1]) {
      if (b > 0) t.cuts.push_back(lower[b]);
      cls.emplace_back();
    }
    cls.back().w += pre[b].w;
    cls.back().wy += pre[b].wy;
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < std::max<std::size_t>(cls.size(), 1); ++c)
    t.labels.push_back(interval_label(c == 0 ? -inf : t.cuts[c - 1], c < t.cuts.size() ? t.cuts[c] : inf));
  if (cls.empty()) cls.emplace_back();  // no observed value: one interval class (missing joins it below)
  if (!idx.empty()) t.train_min = x[idx.front()], t.train_max = x[idx.back()];
  place_missing(t, cls, miss, rule.min_weight);
  std::vector<double> cw;
  for (const auto& c : cls) cw.push_back(c.w);
  t.fallback_class = largest(cw);
  return t;
}

VariableTransform group_levels(const std::string& name, Eigen::Ref<const Eigen::VectorXd> codes,
                               const std::vector<std::string>& levels, Eigen::Ref<const Eigen::VectorXd> y,
                               Eigen::Ref<const Eigen::VectorXd> w, const PrepOptions& opt, BinningInfo* info) {
  check_inputs(codes.size(), y, w);
  const std::size_t L = levels.size();
  VariableTransform t;
  t.source = t.name = name;
  t.kind = PrepKind::Categorical;
  t.levels = levels;
  std::vector<Bin> lv(L);
  Bin miss;
  double total = 0;
  for (Eigen::Index i = 0; i < codes.size(); ++i) {
    total += w[i];
    const double c = codes[i];
    if (std::isnan(c)) {
      miss.w += w[i], miss.wy += w[i] * y[i];
      continue;
    }
    if (c < 0 || c >= double(L) || c != std::floor(c)) throw std::invalid_argument("group_levels: code out of range in " + name);
    lv[static_cast<std::size_t>(c)].w += w[i];
    lv[static_cast<std::size_t>(c)].wy += w[i] * y[i];
  }
  // Units to order: each common level alone, the rare ones pooled (unit index L = "other").
  std::vector<std::size_t> units;
  Bin other;
  std::vector<std::size_t> rare;
  for (std::size_t l = 0; l < L; ++l) {
    if (lv[l].w <= 0) continue;
    if (lv[l].w < opt.rare_level_share * total) rare.push_back(l), other.w += lv[l].w, other.wy += lv[l].wy;
    else units.push_back(l);
  }
  if (!rare.empty()) units.push_back(L);
  auto unit_bin = [&](std::size_t u) { return u == L ? other : lv[u]; };
  std::stable_sort(units.begin(), units.end(),
                   [&](std::size_t a, std::size_t b) { return unit_bin(a).rate() < unit_bin(b).rate(); });
  std::vector<Bin> ordered;
  for (auto u : units) ordered.push_back(unit_bin(u));
  MergeRule rule{opt.max_classes, opt.min_class_share * total, opt.merge_pvalue, false};
  const auto grp = two_group_fallback(merge_bins(ordered, rule), ordered, opt, total, false, info);
  t.level_class.assign(L, -1);
  std::vector<Bin> cls;
  std::vector<std::string> names;
  for (std::size_t k = 0; k < units.size(); ++k) {
    const int g = grp[k];
    if (static_cast<int>(cls.size()) <= g) cls.emplace_back(), names.emplace_back();
    cls[static_cast<std::size_t>(g)].w += ordered[k].w;
    cls[static_cast<std::size_t>(g)].wy += ordered[k].wy;
    auto& nm = names[static_cast<std::size_t>(g)];
    if (!nm.empty()) nm += "+";
    if (units[k] == L) {
      nm += "other";
      t.other_class = g;
      for (auto l : rare) t.level_class[l] = g;
    } else {
      nm += levels[units[k]];
      t.level_class[units[k]] = g;
    }
  }
  for (auto& nm : names)
    if (static_cast<int>(nm.size()) > opt.max_label) nm = nm.substr(0, static_cast<std::size_t>(opt.max_label) - 3) + "...";
  t.labels = names;
  if (cls.empty()) cls.emplace_back(), t.labels.push_back("all");
  place_missing(t, cls, miss, rule.min_weight);
  std::vector<double> cw;
  for (const auto& c : cls) cw.push_back(c.w);
  t.fallback_class = largest(cw);
  return t;
}

}  // namespace dmde::model
