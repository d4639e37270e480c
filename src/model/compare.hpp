#pragma once
// Test-versus-control comparisons for monitoring (note section 9): difference of two proportions
// with a Wald confidence interval and a pooled two-proportion z-test (as R's prop.test with
// correct = FALSE), and difference of two means with Welch's t (as R's t.test, var.equal = FALSE).
namespace dmde::model {

/// Result of a two-sample comparison, `diff` = a - b (test minus control).
struct Comparison {
  double a = 0, b = 0;      ///< the two estimates (proportions or means)
  double diff = 0;          ///< a - b
  double lower = 0, upper = 0;  ///< confidence interval of diff
  double statistic = 0;     ///< z (proportions) or t (means)
  double df = 0;            ///< Welch degrees of freedom (means); infinity for z
  double p_value = 0;       ///< two-sided; NaN when undefined (no variance)
};

/// x_a successes out of n_a versus x_b out of n_b. CI: diff +- z * sqrt(pa(1-pa)/na + pb(1-pb)/nb)
/// (unpooled); test: z = diff / sqrt(p(1-p)(1/na + 1/nb)) with the pooled p. Counts may be
/// non-integer (weighted). Throws std::invalid_argument for n <= 0 or x outside [0, n].
Comparison two_proportions(double x_a, double n_a, double x_b, double n_b, double level = 0.95);

/// Welch's two-sample t from summary statistics (mean, sample variance with n - 1, count).
/// Throws std::invalid_argument when a count is below 2 or a variance is negative.
Comparison welch(double mean_a, double var_a, double n_a, double mean_b, double var_b, double n_b,
                 double level = 0.95);

}  // namespace dmde::model
