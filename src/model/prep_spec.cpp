#include "model/prep_spec.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace dmde::model {

namespace {


// Shared body of the double and float paths: the per-value rule plus counting.
template <class Vec>
UnseenCounts apply_impl(const VariableTransform& t, const Vec& raw, Eigen::Ref<Eigen::VectorXi> out) {
  if (out.size() != raw.size()) throw std::invalid_argument("apply: output size differs from input size");
  UnseenCounts n;
  const Eigen::Index rows = raw.size();
  if (t.kind == PrepKind::Numeric) {
    const double* c = t.cuts.data();
    const std::size_t k = t.cuts.size();
    const int miss = t.missing_class >= 0 ? t.missing_class : t.fallback_class;
    for (Eigen::Index i = 0; i < rows; ++i) {
      const double x = static_cast<double>(raw[i]);
      if (std::isnan(x)) {
        out[i] = miss;
        n.unseen_missing += t.missing_class < 0;
        continue;
      }
      // Branchless count of cuts <= x: the class index (few cuts, so faster than a binary search).
      int cls = 0;
      for (std::size_t j = 0; j < k; ++j) cls += x >= c[j];
      out[i] = cls;
      n.out_of_range += (x < t.train_min) | (x > t.train_max);
    }
  } else {
    for (Eigen::Index i = 0; i < rows; ++i) {
      const double x = static_cast<double>(raw[i]);
      out[i] = t.code(x);
      if (std::isnan(x)) {
        n.unseen_missing += t.missing_class < 0;
      } else {
        const auto lv = static_cast<long long>(x);
        n.unknown_level += lv < 0 || lv >= static_cast<long long>(t.level_class.size()) ||
                           t.level_class[static_cast<std::size_t>(lv)] < 0;
      }
    }
  }
  return n;
}

}  // namespace

std::string interval_label(double lo, double hi) {
  // One stream (GCC 12 flags short string concatenations with a false -Wrestrict).
  std::ostringstream os;
  os.precision(6);
  if (std::isinf(lo)) os << "]-inf";
  else os << '[' << lo;
  os << ';';
  if (std::isinf(hi)) os << "+inf";
  else os << hi;
  os << '[';
  return os.str();
}

int VariableTransform::code(double raw) const {
  if (std::isnan(raw)) return missing_class >= 0 ? missing_class : fallback_class;
  if (kind == PrepKind::Numeric) {
    return static_cast<int>(std::upper_bound(cuts.begin(), cuts.end(), raw) - cuts.begin());
  }
  const auto lv = static_cast<long long>(raw);
  if (lv >= 0 && lv < static_cast<long long>(level_class.size()) && raw == static_cast<double>(lv)) {
    const int c = level_class[static_cast<std::size_t>(lv)];
    if (c >= 0) return c;
  }
  return other_class >= 0 ? other_class : fallback_class;
}

UnseenCounts VariableTransform::apply(Eigen::Ref<const Eigen::VectorXd> raw, Eigen::Ref<Eigen::VectorXi> out) const {
  return apply_impl(*this, raw, out);
}

UnseenCounts VariableTransform::apply(Eigen::Ref<const Eigen::VectorXf> raw, Eigen::Ref<Eigen::VectorXi> out) const {
  return apply_impl(*this, raw, out);
}

VariableTransform VariableTransform::with_levels(const std::vector<std::string>& file_levels) const {
  if (kind != PrepKind::Categorical) return *this;
  std::unordered_map<std::string, int> cls;
  for (std::size_t i = 0; i < levels.size(); ++i) cls[levels[i]] = i < level_class.size() ? level_class[i] : -1;
  VariableTransform t = *this;
  t.levels = file_levels;
  t.level_class.assign(file_levels.size(), -1);
  for (std::size_t i = 0; i < file_levels.size(); ++i) {
    auto it = cls.find(file_levels[i]);
    if (it != cls.end()) t.level_class[i] = it->second;
  }
  return t;
}

void VariableTransform::validate() const {
  const int k = n_classes();
  auto in_range = [k](int c) { return c >= -1 && c < k; };
  if (k < 1) throw std::invalid_argument("transform " + name + ": no class");
  if (!std::is_sorted(cuts.begin(), cuts.end()) ||
      std::adjacent_find(cuts.begin(), cuts.end()) != cuts.end())
    throw std::invalid_argument("transform " + name + ": cuts not strictly increasing");
  if (!in_range(missing_class) || !in_range(other_class) || fallback_class < 0 || fallback_class >= k)
    throw std::invalid_argument("transform " + name + ": class index out of range");
  for (int c : level_class)
    if (!in_range(c)) throw std::invalid_argument("transform " + name + ": level class out of range");
  if (kind == PrepKind::Numeric &&
      static_cast<int>(cuts.size()) + 1 + (missing_class == static_cast<int>(cuts.size()) + 1) != k)
    throw std::invalid_argument("transform " + name + ": labels do not match cuts");
}

int PrepSpec::find(const std::string& n) const {
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (vars[i].name == n) return static_cast<int>(i);
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (vars[i].source == n) return static_cast<int>(i);
  return -1;
}

}  // namespace dmde::model
