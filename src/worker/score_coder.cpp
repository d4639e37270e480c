// InputCoder: raw population values -> class codes by the model's coding rules (worker/score_model.hpp),
// as int codes (apply) or straight into bytes with the class counts (apply_bytes, apply_levels).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/error.hpp"
#include "worker/score_coding.hpp"
#include "worker/score_model.hpp"

namespace dmde::worker {
namespace {

constexpr int kMaxFastCuts = 16;

/// Numeric coding, branch-free (NaN compares false everywhere, so it is selected afterwards).
/// M >= 0: the cut count at compile time (the compare chain unrolls); M < 0: `m_rt` cuts.
template <int M>
void code_numeric(const float* raw, std::int64_t n, int* codes, CodingCounts& counts, const float* cuts, int m_rt,
                  const InputCoding& c) {
  const int m = M >= 0 ? M : m_rt;
  const auto lo = static_cast<float>(c.lo), hi = static_cast<float>(c.hi);
  const float inf = std::numeric_limits<float>::infinity();
  const int missing = c.missing_class;
  // All 32-bit lanes so that the compiler vectorizes; counters per call fit (n < 2^31 per chunk).
  int miss = 0, nonfin = 0, oor = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = raw[i];
    int k = 0;
    for (int j = 0; j < m; ++j) k += static_cast<int>(x > cuts[j]);
    const int nan = static_cast<int>(x != x), fin = static_cast<int>(std::fabs(x) < inf);
    codes[i] = missing + fin * (k - missing);  // arithmetic select: no control flow
    miss += nan;
    nonfin += 1 - fin - nan;
    oor += fin & static_cast<int>((x < lo) | (x > hi));
  }
  counts.missing += miss;
  counts.nonfinite += nonfin;
  counts.out_of_range += oor;
}

}  // namespace

InputCoder::InputCoder(const InputCoding& c, const TableSchema& pop, const std::string& pop_path) : c_(&c) {
  const auto& v = pop.vars[static_cast<std::size_t>(pop.require(c.variable, pop_path))];
  const bool cat = v.kind == VarKind::Categorical;
  if (cat != c.categorical)
    throw InputError("variable '" + c.variable + "' is " + (cat ? "categorical" : "numeric") + " in '" + pop_path +
                     "' but the model expects it " + (c.categorical ? "categorical" : "numeric"));
  const auto in_range = [&](int k) { return k >= 0 && k < c.n_classes; };
  // The byte paths (apply_bytes, apply_levels): same codes and counts as apply, in one pass.
  const auto numeric_bytes = [&](std::vector<float> cuts, float lo, float hi, int miss, CutRule rule, bool unseen_nan) {
    // Ascending (NaN-free) cuts make the class counts differences of the cuts' counts (score_coding.hpp).
    bool ascending = true;
    for (std::size_t j = 0; j < cuts.size(); ++j)
      ascending = ascending && !std::isnan(cuts[j]) && (j == 0 || cuts[j - 1] <= cuts[j]);
    const int m = static_cast<int>(cuts.size());
    bytes_ = ascending && m <= kMaxByteCuts && m < c.n_classes && c.n_classes <= 256 && in_range(miss);
    cuts_f_ = std::move(cuts);
    lo_f_ = lo, hi_f_ = hi, miss8_ = static_cast<std::uint8_t>(miss), rule_ = rule, unseen_nan_ = unseen_nan;
  };
  const auto level_bytes = [&](std::vector<int> cls, std::vector<std::uint8_t> uns) {  // entry 0: missing
    levels_ = static_cast<int>(cls.size()) - 1 <= kMaxByteLevels && c.n_classes <= 256 &&
              std::all_of(cls.begin(), cls.end(), in_range);
    if (!levels_) return;
    level_cls8_.assign(cls.begin(), cls.end());
    level_uns8_ = std::move(uns);
  };
  if (!c.transform.empty()) {
    t_ = {cat ? c.transform.front().with_levels(v.levels) : c.transform.front()};
    const auto& t = t_.front();
    const int miss = t.missing_class >= 0 ? t.missing_class : t.fallback_class;
    if (!cat) {  // x >= cut in double, for a float x: x >= the smallest float >= cut
      std::vector<float> cuts;
      for (const double cut : t.cuts) cuts.push_back(float_at_or_above(cut));
      numeric_bytes(std::move(cuts), float_at_or_above(t.train_min), float_at_or_below(t.train_max), miss,
                    CutRule::Spec, t.missing_class < 0);
    } else {
      const int other = t.other_class >= 0 ? t.other_class : t.fallback_class;
      std::vector<int> cls{miss};
      std::vector<std::uint8_t> uns{static_cast<std::uint8_t>(t.missing_class < 0)};
      for (const int k : t.level_class) cls.push_back(k >= 0 ? k : other), uns.push_back(k < 0);
      level_bytes(std::move(cls), std::move(uns));
    }
    return;
  }
  if (c.by_code && pop.kind != "prepared")  // raw level codes are not classes: refuse, never guess
    throw InputError("the model has no preprocessing spec, so it scores prepared tables only, and '" + pop_path +
                     "' is a '" + pop.kind + "' table: retrain with the spec (dmde train --prep-spec <prepared>.spec)");
  if (c.by_code) return;
  if (!cat) {  // the interim rules: cuts and range as float, as apply compares them
    numeric_bytes(std::vector<float>(c.cuts.begin(), c.cuts.end()), static_cast<float>(c.lo),
                  static_cast<float>(c.hi), c.missing_class, CutRule::Interim, false);
    return;
  }
  std::unordered_map<std::string, int> cls;
  for (std::size_t k = 0; k < c.levels.size(); ++k) cls.emplace(c.levels[k], c.level_class[k]);
  for (const auto& name : v.levels) {
    auto it = cls.find(name);
    pop_level_class_.push_back(it == cls.end() ? c.unseen_class : it->second);
    pop_level_unseen_.push_back(it == cls.end() ? 1 : 0);
  }
  std::vector<int> lcls{c.missing_class};
  std::vector<std::uint8_t> luns{0};
  for (std::size_t l = 0; l < v.levels.size(); ++l)
    lcls.push_back(pop_level_class_[l]), luns.push_back(static_cast<std::uint8_t>(pop_level_unseen_[l]));
  level_bytes(std::move(lcls), std::move(luns));
  pop_level_class_.push_back(c.missing_class);  // entry L: a missing value (apply's branch-free lookup)
  pop_level_unseen_.push_back(0);
}

void InputCoder::apply(const float* raw, std::int64_t n, int* codes, CodingCounts& counts) const {
  const auto& c = *c_;
  if (!t_.empty()) {  // the training transform itself
    const auto u = t_.front().apply(Eigen::Map<const Eigen::VectorXf>(raw, n), Eigen::Map<Eigen::VectorXi>(codes, n));
    std::int64_t miss = 0, inf = 0;
    for (std::int64_t i = 0; i < n; ++i) miss += std::isnan(raw[i]), inf += std::isinf(raw[i]);
    counts.missing += miss;
    counts.nonfinite += inf;
    counts.out_of_range += u.out_of_range;
    counts.unseen += u.unknown_level + u.unseen_missing;
    return;
  }
  if (c.by_code) {
    const auto K = static_cast<float>(c.n_classes);
    for (std::int64_t i = 0; i < n; ++i) {
      const float x = raw[i];
      if (!(x >= 0 && x < K))  // NaN included
        throw InputError("prepared input '" + c.variable + "' holds a missing value or a class outside the model's " +
                         std::to_string(c.n_classes) + " (the model has no preprocessing spec to map it)");
      codes[i] = static_cast<int>(x);
    }
    return;
  }
  if (c.categorical) {
    // Branch-free: level l -> table entry l, missing -> entry L; a code outside the levels is found
    // after the loop (the table reader has already rejected them: never in practice).
    const std::size_t L = pop_level_class_.size() - 1;
    const auto Lf = static_cast<float>(L);
    const int* cls = pop_level_class_.data();
    const int* uns = pop_level_unseen_.data();
    const int Li = static_cast<int>(L);
    int miss = 0, unseen = 0, bad = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const float x = raw[i];
      const int nan = static_cast<int>(x != x), ok = static_cast<int>(x >= 0) & static_cast<int>(x < Lf);
      const float y = std::min(Lf, std::max(0.0f, x));  // in [0, L], NaN -> 0 (max/min instructions)
      const int yi = static_cast<int>(y);
      const int l = yi + nan * (Li - yi);  // NaN -> L
      codes[i] = cls[l];
      unseen += uns[l];
      miss += nan;
      bad |= (1 - nan) & (1 - ok);
    }
    if (bad) throw InputError("variable '" + c.variable + "' holds a level code outside its levels");
    counts.missing += miss;
    counts.unseen += unseen;
    return;
  }
  // Cuts as float, compared in float: the raw column is float32, and training cut points sit
  // between observed values, so no value crosses a cut by rounding.
  float cuts[kMaxFastCuts];
  const int m = static_cast<int>(c.cuts.size());
  if (m > kMaxFastCuts) {
    std::vector<float> many(c.cuts.begin(), c.cuts.end());
    code_numeric<-1>(raw, n, codes, counts, many.data(), m, c);
    return;
  }
  for (int j = 0; j < m; ++j) cuts[j] = static_cast<float>(c.cuts[static_cast<std::size_t>(j)]);
  switch (m) {  // fixed cut counts unroll into branch-free compare chains
#define DMDE_CUTS(M) \
  case M: code_numeric<M>(raw, n, codes, counts, cuts, M, c); break;
    DMDE_CUTS(0) DMDE_CUTS(1) DMDE_CUTS(2) DMDE_CUTS(3) DMDE_CUTS(4) DMDE_CUTS(5) DMDE_CUTS(6) DMDE_CUTS(7)
    DMDE_CUTS(8) DMDE_CUTS(9) DMDE_CUTS(10) DMDE_CUTS(11) DMDE_CUTS(12) DMDE_CUTS(13) DMDE_CUTS(14) DMDE_CUTS(15)
#undef DMDE_CUTS
  }
}

void InputCoder::apply_bytes(const float* raw, std::int64_t n, std::uint8_t* codes, CodingCounts& counts,
                             std::int64_t* classes) const {
  if (!bytes_) throw Error("InputCoder::apply_bytes: input '" + c_->variable + "' is not coded into bytes");
  NumericTally t;
  const int m = static_cast<int>(cuts_f_.size());
  code_numeric_bytes(raw, static_cast<std::size_t>(n), cuts_f_.data(), m, lo_f_, hi_f_, miss8_, codes, t, rule_);
  for (int k = 0; k <= m; ++k) {
    const std::int64_t ge = k == 0 ? t.coded : t.above[static_cast<std::size_t>(k - 1)];
    classes[k] += ge - (k == m ? 0 : t.above[static_cast<std::size_t>(k)]);
  }
  classes[miss8_] += n - t.coded;
  counts.missing += t.nan;
  counts.nonfinite += t.inf;
  counts.out_of_range += t.out_of_range;
  if (unseen_nan_) counts.unseen += t.nan;  // spec: missing values training never had
}

void InputCoder::apply_levels(const std::int16_t* lv, std::int64_t n, std::uint8_t* codes, CodingCounts& counts,
                              std::int64_t* classes) const {
  if (!levels_) throw Error("InputCoder::apply_levels: input '" + c_->variable + "' is not coded from level codes");
  const int L = static_cast<int>(level_cls8_.size()) - 1;
  std::array<std::int64_t, kMaxByteLevels + 1> cnt{};
  if (!code_levels_bytes(lv, static_cast<std::size_t>(n), L, level_cls8_.data(), codes, cnt.data()))
    throw InputError("variable '" + c_->variable + "' holds a level code outside its " + std::to_string(L) + " levels");
  counts.missing += cnt[0];
  for (std::size_t e = 0; e <= static_cast<std::size_t>(L); ++e) {
    classes[level_cls8_[e]] += cnt[e];
    if (level_uns8_[e]) counts.unseen += cnt[e];
  }
}

}  // namespace dmde::worker
