#include "model/scorecard.hpp"

#include <cmath>
#include <stdexcept>

namespace dmde::model {
namespace {

inline Eigen::Index cell(const ScoreTerm& t, const int* row, Eigen::Index stride) {
  Eigen::Index idx = 0, mult = 1;
  for (std::size_t k = 0; k < t.inputs.size(); ++k) {
    const int c = row[t.inputs[k] * stride];
    if (c < 0 || c >= t.n_levels[k]) throw std::out_of_range("class code out of range for effect " + t.effect);
    idx += mult * c;
    mult *= t.n_levels[k];
  }
  return idx;
}

}  // namespace

double inv_logit(double eta) {
  if (eta >= 0) return 1.0 / (1.0 + std::exp(-eta));
  const double e = std::exp(eta);
  return e / (1.0 + e);
}

void Scorecard::validate() const {
  for (const auto& t : terms) {
    if (t.inputs.empty() || t.inputs.size() > 2 || t.inputs.size() != t.n_levels.size())
      throw std::invalid_argument("term " + t.effect + ": 1 or 2 inputs with their level counts");
    Eigen::Index size = 1;
    for (std::size_t k = 0; k < t.inputs.size(); ++k) {
      if (t.inputs[k] < 0 || t.inputs[k] >= static_cast<int>(inputs.size()))
        throw std::invalid_argument("term " + t.effect + ": input index out of range");
      if (t.n_levels[k] < 1) throw std::invalid_argument("term " + t.effect + ": no levels");
      size *= t.n_levels[k];
    }
    if (t.beta.size() != size) throw std::invalid_argument("term " + t.effect + ": beta size mismatch");
  }
}

double Scorecard::baseline() const {
  double b = intercept;
  for (const auto& t : terms) b += t.reference;
  return b;
}

Eigen::VectorXd Scorecard::linear_predictor(Eigen::Ref<const Eigen::MatrixXi> codes) const {
  const Eigen::Index n = codes.rows(), stride = codes.outerStride();
  if (codes.cols() != static_cast<Eigen::Index>(inputs.size())) throw std::invalid_argument("codes: wrong column count");
  Eigen::VectorXd eta = Eigen::VectorXd::Constant(n, intercept);
  // Term-major: each lookup table stays in cache while the rows stream through.
  for (const auto& t : terms)
    for (Eigen::Index i = 0; i < n; ++i) eta[i] += t.beta[cell(t, codes.data() + i, stride)];
  return eta;
}

Eigen::MatrixXd Scorecard::contributions(Eigen::Ref<const Eigen::MatrixXi> codes) const {
  const Eigen::Index n = codes.rows(), stride = codes.outerStride();
  if (codes.cols() != static_cast<Eigen::Index>(inputs.size())) throw std::invalid_argument("codes: wrong column count");
  Eigen::MatrixXd c(n, static_cast<Eigen::Index>(terms.size()));
  for (std::size_t j = 0; j < terms.size(); ++j) {
    const auto& t = terms[j];
    for (Eigen::Index i = 0; i < n; ++i)
      c(i, static_cast<Eigen::Index>(j)) = t.beta[cell(t, codes.data() + i, stride)] - t.reference;
  }
  return c;
}

void Scorecard::set_reference(Eigen::Ref<const Eigen::MatrixXi> codes, Eigen::Ref<const Eigen::VectorXd> w) {
  const Eigen::Index n = codes.rows(), stride = codes.outerStride();
  if (w.size() != n) throw std::invalid_argument("weights: wrong length");
  const double sw = w.sum();
  if (!(sw > 0)) throw std::invalid_argument("weights sum to zero");
  for (auto& t : terms) {
    double s = 0;  // fixed row order: deterministic
    for (Eigen::Index i = 0; i < n; ++i) s += w[i] * t.beta[cell(t, codes.data() + i, stride)];
    t.reference = s / sw;
  }
}

}  // namespace dmde::model
