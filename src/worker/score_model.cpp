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
