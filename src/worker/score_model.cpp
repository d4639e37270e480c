#include "core/serialize.hpp"  // first: Eigen members of the scorecard
#include "worker/score_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/atomic.hpp"
#include "core/error.hpp"
#include "worker/artifact_io.hpp"
#include "worker/score_coding.hpp"

namespace dmde::worker {
namespace {

constexpr char kMagic[8] = {'D', 'M', 'D', 'E', 'S', 'C', 'M', '\n'};
constexpr char kArtifactMagic[8] = {'D', 'M', 'D', 'E', 'M', 'D', 'L', '\n'};
constexpr std::uint32_t kVersion = 1;

std::uint64_t fnv(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

/// A train artifact without a prep spec: its inputs are prepared class-code variables.
ScoreModel score_model_from(const model::ModelArtifact& a, const std::string& path) {
  model::PrepSpec spec;
  if (!a.prep_spec.empty()) {
    try {
      from_bytes(a.prep_spec, spec);
    } catch (const Error& e) {
      throw InputError("'" + path + "': its preprocessing spec cannot be read: " + e.what());
    }
  }
  ScoreModel m;
  m.card = a.card;
  m.name = a.target;
  for (std::size_t k = 0; k < a.card.inputs.size(); ++k) {
    InputCoding c;
    for (const auto& t : a.card.terms)
      for (std::size_t j = 0; j < t.inputs.size(); ++j)
        if (t.inputs[j] == static_cast<int>(k)) c.n_classes = t.n_levels[j];
    if (a.prep_spec.empty()) {
      c.variable = a.card.inputs[k];
      c.categorical = c.by_code = true;
    } else {
      const int i = spec.find(a.card.inputs[k]);
      if (i < 0) throw InputError("'" + path + "': model input '" + a.card.inputs[k] + "' has no transform in its spec");
      const auto& t = spec.vars[static_cast<std::size_t>(i)];
      c.variable = t.source;
      c.categorical = t.kind == model::PrepKind::Categorical;
      c.transform = {t};
    }
    m.coding.push_back(c);
  }
  // Drift references stored by `dmde train` (absent in older artifacts: PSI then needs --learning).
  if (const auto it = a.meta.find("learning_distribution"); it != a.meta.end())
    learning_distribution_from_json(m, it->second);
  m.validate("'" + path + "'");
  return m;
}

namespace {

ScoreModel from_artifact(const std::string& path) { return score_model_from(load_artifact(path), path); }

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

void ScoreModel::validate(const std::string& where) const {
  try {
    card.validate();
  } catch (const std::invalid_argument& e) {
    throw InputError(where + ": " + e.what());
  }
  if (coding.size() != card.inputs.size())
    throw InputError(where + ": " + std::to_string(coding.size()) + " input codings for " +
                     std::to_string(card.inputs.size()) + " scorecard inputs");
  std::vector<int> classes(coding.size());
  for (std::size_t k = 0; k < coding.size(); ++k) {
    const auto& c = coding[k];
    const std::string who = where + ": input '" + card.inputs[k] + "'";
    const int n = c.n_classes;
    auto in = [n](int v) { return v >= 0 && v < n; };
    if (c.transform.empty() && (!in(c.missing_class) || !in(c.unseen_class))) throw InputError(who + ": missing/unseen class out of range");
    if (!c.transform.empty()) {
      const auto& t = c.transform.front();
      try {
        t.validate();
      } catch (const std::invalid_argument& e) {
        throw InputError(who + ": " + e.what());
      }
      if (t.n_classes() != n) throw InputError(who + ": the spec gives " + std::to_string(t.n_classes()) +
                                               " classes, the scorecard " + std::to_string(n));
      if (c.categorical != (t.kind == model::PrepKind::Categorical)) throw InputError(who + ": kind differs from its spec");
    } else if (c.by_code) {
      if (!c.categorical) throw InputError(who + ": a prepared input is categorical");
    } else if (c.categorical) {
      if (c.level_class.size() != c.levels.size()) throw InputError(who + ": one class per level needed");
      if (!std::all_of(c.level_class.begin(), c.level_class.end(), in)) throw InputError(who + ": level class out of range");
    } else {
      if (!std::is_sorted(c.cuts.begin(), c.cuts.end())) throw InputError(who + ": cuts not ascending");
      if (static_cast<int>(c.cuts.size()) + 1 > n) throw InputError(who + ": more bins than classes");
    }
    if (!c.learn_share.empty() && static_cast<int>(c.learn_share.size()) != n)
      throw InputError(who + ": learning shares do not match the class count");
    classes[k] = n;
  }
  for (const auto& t : card.terms)
    for (std::size_t k = 0; k < t.inputs.size(); ++k)
      if (t.n_levels[k] != classes[static_cast<std::size_t>(t.inputs[k])])
        throw InputError(where + ": effect '" + t.effect + "' expects " + std::to_string(t.n_levels[k]) +
                         " classes of its input, the spec gives " +
                         std::to_string(classes[static_cast<std::size_t>(t.inputs[k])]));
  if (!score_learn_share.empty() && score_learn_share.size() != score_cuts.size() + 1)
    throw InputError(where + ": score learning shares do not match the score bins");
  for (std::size_t j = 0; j < score_cuts.size(); ++j)
    if (!std::isfinite(score_cuts[j]) || (j > 0 && !(score_cuts[j - 1] < score_cuts[j])))
      throw InputError(where + ": score bin cuts are not finite and strictly ascending");
}

std::string ScoreModel::fingerprint() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(fnv(to_bytes(*this))));
  return buf;
}

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

double psi(const std::vector<double>& expected, const std::vector<double>& actual) {
  if (expected.size() != actual.size()) throw std::invalid_argument("psi: bin counts differ");
  double s = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const double e = std::max(expected[k], 1e-4), a = std::max(actual[k], 1e-4);
    s += (a - e) * std::log(a / e);
  }
  return s;
}

int psi_level(double value) { return value < 0.1 ? 0 : value < 0.25 ? 1 : 2; }

void attach_learning_distribution(ScoreModel& m, const std::string& path) {
  std::vector<std::string> vars;
  for (const auto& c : m.coding) vars.push_back(c.variable);
  std::sort(vars.begin(), vars.end());
  vars.erase(std::unique(vars.begin(), vars.end()), vars.end());
  const Table t = read_table(path, vars);
  const Eigen::Index n = t.rows();
  if (n == 0) throw InputError("learning table '" + path + "' has no rows");
  const double sw = t.weight.sum();
  Eigen::MatrixXi codes(n, static_cast<Eigen::Index>(m.coding.size()));
  for (std::size_t k = 0; k < m.coding.size(); ++k) {
    auto& c = m.coding[k];
    InputCoder coder(c, t.schema, path);
    const Eigen::VectorXf raw = t.column(c.variable).cast<float>();
    CodingCounts ignored;
    coder.apply(raw.data(), n, codes.col(static_cast<Eigen::Index>(k)).data(), ignored);
    c.learn_share.assign(static_cast<std::size_t>(c.n_classes), 0.0);
    for (Eigen::Index i = 0; i < n; ++i)
      c.learn_share[static_cast<std::size_t>(codes(i, static_cast<Eigen::Index>(k)))] += t.weight[i] / sw;
  }
  set_learning_distribution(m, codes, t.weight);
}

void set_learning_distribution(ScoreModel& m, const Eigen::MatrixXi& codes, Eigen::Ref<const Eigen::VectorXd> w) {
  const Eigen::Index n = codes.rows();
  if (n == 0 || w.size() != n || codes.cols() != static_cast<Eigen::Index>(m.coding.size()))
    throw InputError("learning distribution: codes do not match the model inputs");
  const double sw = w.sum();
  for (std::size_t k = 0; k < m.coding.size(); ++k) {
    auto& c = m.coding[k];
    c.learn_share.assign(static_cast<std::size_t>(c.n_classes), 0.0);
    for (Eigen::Index i = 0; i < n; ++i) {
      const int code = codes(i, static_cast<Eigen::Index>(k));
      if (code < 0 || code >= c.n_classes) throw InputError("learning distribution: class code out of range");
      c.learn_share[static_cast<std::size_t>(code)] += w[i] / sw;
    }
  }
  const Eigen::VectorXd eta = m.card.linear_predictor(codes);
  std::vector<std::pair<double, double>> pw(static_cast<std::size_t>(n));  // (probability, weight)
  for (Eigen::Index i = 0; i < n; ++i) pw[static_cast<std::size_t>(i)] = {model::inv_logit(eta[i]), w[i]};
  std::sort(pw.begin(), pw.end());
  m.score_cuts.clear();
  double acc = 0;
  std::size_t q = 1;
  for (const auto& [p, wi] : pw) {  // weighted deciles: the first value reaching q/10 of the weight
    acc += wi;
    while (q < 10 && acc >= sw * static_cast<double>(q) / 10.0) {
      if (m.score_cuts.empty() || p > m.score_cuts.back()) m.score_cuts.push_back(p);
      ++q;
    }
  }
  m.score_learn_share.assign(m.score_cuts.size() + 1, 0.0);
  for (const auto& [p, wi] : pw)  // same bin rule as tonight's: number of cuts below p
    m.score_learn_share[static_cast<std::size_t>(
        std::lower_bound(m.score_cuts.begin(), m.score_cuts.end(), p) - m.score_cuts.begin())] += wi / sw;
}

std::string learning_distribution_json(const ScoreModel& m) {
  nlohmann::json j;
  j["class_shares"] = nlohmann::json::array();
  for (const auto& c : m.coding) j["class_shares"].push_back(c.learn_share);
  j["score_cuts"] = m.score_cuts;
  j["score_shares"] = m.score_learn_share;
  return j.dump();
}

void learning_distribution_from_json(ScoreModel& m, const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    const auto& cs = j.at("class_shares");
    if (cs.size() != m.coding.size()) throw InputError("learning distribution: one share list per input needed");
    for (std::size_t k = 0; k < m.coding.size(); ++k) m.coding[k].learn_share = cs[k].get<std::vector<double>>();
    m.score_cuts = j.at("score_cuts").get<std::vector<double>>();
    m.score_learn_share = j.at("score_shares").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("learning distribution: malformed (") + e.what() + ")");
  }
}

std::string score_model_json(const ScoreModel& m) {
  nlohmann::json j;
  j["name"] = m.name;
  j["intercept"] = m.card.intercept;
  j["baseline"] = m.card.baseline();
  for (std::size_t k = 0; k < m.coding.size(); ++k) {
    const auto& c = m.coding[k];
    j["inputs"].push_back({{"name", m.card.inputs[k]}, {"variable", c.variable}, {"categorical", c.categorical},
                           {"by_code", c.by_code}, {"cuts", c.cuts}, {"lo", c.lo}, {"hi", c.hi}, {"levels", c.levels},
                           {"level_class", c.level_class}, {"missing_class", c.missing_class},
                           {"unseen_class", c.unseen_class}, {"n_classes", c.n_classes}, {"learn_share", c.learn_share}});
  }
  for (const auto& t : m.card.terms)
    j["terms"].push_back({{"effect", t.effect}, {"inputs", t.inputs}, {"n_levels", t.n_levels},
                          {"beta", std::vector<double>(t.beta.data(), t.beta.data() + t.beta.size())},
                          {"reference", t.reference}});
  j["score_cuts"] = m.score_cuts;
  j["score_learn_share"] = m.score_learn_share;
  return j.dump(1);
}

void save_score_model(const std::string& path, const ScoreModel& m) {
  m.validate("model for '" + path + "'");
  std::string bytes(kMagic, sizeof kMagic);
  bytes.append(reinterpret_cast<const char*>(&kVersion), sizeof kVersion);
  bytes += to_bytes(m);
  write_file_atomic(path, bytes);
}

ScoreModel load_score_model(const std::string& path) {
  const std::string bytes = read_file(path);
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kArtifactMagic, 8) == 0) return from_artifact(path);
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw InputError("'" + path + "' is not a dmde scoring model");
  std::uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, sizeof version);
  if (version != kVersion) throw InputError("'" + path + "': unsupported scoring model version " + std::to_string(version));
  ScoreModel m;
  try {
    from_bytes(bytes.substr(12), m);
  } catch (const Error& e) {
    throw InputError("'" + path + "' is corrupt or truncated: " + e.what());
  }
  m.validate("'" + path + "'");
  return m;
}

}  // namespace dmde::worker
