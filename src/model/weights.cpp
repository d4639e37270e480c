#include "model/weights.hpp"

#include <cmath>
#include <stdexcept>

namespace dmde::model {

std::string to_string(WeightMode m) {
  switch (m) {
    case WeightMode::Normalized: return "normalized";
    case WeightMode::Frequency: return "frequency";
    case WeightMode::None: return "none";
  }
  return "?";
}

WeightMode weight_mode_from_string(const std::string& s) {
  if (s == "normalized") return WeightMode::Normalized;
  if (s == "frequency") return WeightMode::Frequency;
  if (s == "none") return WeightMode::None;
  throw std::invalid_argument("weight mode must be normalized, frequency or none, not '" + s + "'");
}

Eigen::VectorXd effective_weights(Eigen::Ref<const Eigen::VectorXd> w, Eigen::Index n, WeightMode mode) {
  if (mode == WeightMode::None || w.size() == 0) return Eigen::VectorXd::Ones(n);
  if (w.size() != n) throw std::invalid_argument("weight vector length differs from the number of rows");
  for (Eigen::Index i = 0; i < n; ++i)
    if (!std::isfinite(w[i]) || w[i] < 0.0) throw std::invalid_argument("weights must be finite and >= 0");
  if (mode == WeightMode::Frequency) return w;
  const double s = w.sum();
  if (!(s > 0.0)) throw std::invalid_argument("weights sum to zero");
  return w * (static_cast<double>(n) / s);
}

}  // namespace dmde::model
