#include "model/compare.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dmde::model {
namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("confidence level must be in (0, 1)");
}
}  // namespace

Comparison two_proportions(double x_a, double n_a, double x_b, double n_b, double level) {
  check_level(level);
  if (!(n_a > 0) || !(n_b > 0)) throw std::invalid_argument("two_proportions: counts must be > 0");
  if (!(x_a >= 0 && x_a <= n_a) || !(x_b >= 0 && x_b <= n_b))
    throw std::invalid_argument("two_proportions: successes must lie in [0, n]");
  Comparison c;
  c.a = x_a / n_a, c.b = x_b / n_b, c.diff = c.a - c.b;
  const boost::math::normal z01;
  const double z = boost::math::quantile(z01, 0.5 + level / 2);
  const double se = std::sqrt(c.a * (1 - c.a) / n_a + c.b * (1 - c.b) / n_b);
  c.lower = c.diff - z * se, c.upper = c.diff + z * se;
  const double p = (x_a + x_b) / (n_a + n_b);
  const double se0 = std::sqrt(p * (1 - p) * (1 / n_a + 1 / n_b));
  c.df = std::numeric_limits<double>::infinity();
  if (se0 > 0) {
    c.statistic = c.diff / se0;
    c.p_value = 2 * boost::math::cdf(boost::math::complement(z01, std::fabs(c.statistic)));
  } else {
    c.statistic = kNaN, c.p_value = kNaN;
  }
  return c;
}

Comparison welch(double mean_a, double var_a, double n_a, double mean_b, double var_b, double n_b, double level) {
  check_level(level);
  if (!(n_a >= 2) || !(n_b >= 2)) throw std::invalid_argument("welch: each group needs at least 2 observations");
  if (!(var_a >= 0) || !(var_b >= 0)) throw std::invalid_argument("welch: variances must be >= 0");
  Comparison c;
  c.a = mean_a, c.b = mean_b, c.diff = mean_a - mean_b;
  const double va = var_a / n_a, vb = var_b / n_b, se = std::sqrt(va + vb);
  if (!(se > 0)) {
    c.lower = c.upper = c.diff, c.statistic = c.df = c.p_value = kNaN;
    return c;
  }
  c.df = (va + vb) * (va + vb) / (va * va / (n_a - 1) + vb * vb / (n_b - 1));
  const boost::math::students_t t(c.df);
  const double q = boost::math::quantile(t, 0.5 + level / 2);
  c.lower = c.diff - q * se, c.upper = c.diff + q * se;
  c.statistic = c.diff / se;
  c.p_value = 2 * boost::math::cdf(boost::math::complement(t, std::fabs(c.statistic)));
  return c;
}

}  // namespace dmde::model
