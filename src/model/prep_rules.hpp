#pragma once
// Data-management rules of section 5 of the technical note: screening statistics, supervised
// discretization of numeric variables and grouping of categorical levels. All statistics take
// the weights they are given; callers pass normalized weights (sum = n, SAS NORMALIZE) so that
// chi-squares are not inflated by the survey weights' scale.
#include <Eigen/Core>
#include <string>
#include <vector>

#include "model/prep_spec.hpp"

namespace dmde::model {

/// Thresholds of `dmde prepare` (defaults stated here are the documented defaults).
struct PrepOptions {
  double min_observed = 0.05;      ///< drop when the weighted share of non-missing values is below this
  double max_mode_share = 0.99;    ///< drop when one value (or level) holds more than this weighted share
  int prebins = 20;                ///< numeric: weighted-quantile pre-bins before supervised merging
  int max_classes = 6;             ///< at most this many classes (missing's own class not counted)
  double min_class_share = 0.02;   ///< each class holds at least this share of the total weight (2%: rare flags such
                                   ///< as guardianship, ~2-5% of dossiers, keep their own class)
  double merge_pvalue = 0.05;      ///< adjacent classes are merged while their 2x2 chi-square p-value exceeds this
  bool monotone = false;           ///< numeric: force a monotone target rate across intervals
  double rare_level_share = 0.01;  ///< categorical: levels below this weighted share are pooled ("other")
  double max_pvalue = 0.05;        ///< drop when the adjusted p-value of the target link (chi-square on the classes
                                   ///< times the CHAID Bonferroni multiplier of the class search) exceeds this
  double min_iv = 0.02;            ///< drop when the information value is below this ...
  double strong_pvalue = 1e-4;     ///< ... unless the adjusted p-value is below this (a rare class can carry a
                                   ///< clear signal with a small IV: guardianship, disability benefit while working)
  double cluster_threshold = 0.3;  ///< cut height on 1 - association, average linkage
  int max_label = 60;              ///< categorical class labels are cut to this many characters

  /// Throws std::invalid_argument naming the first bad threshold.
  void validate() const;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & min_observed & max_mode_share & prebins & max_classes & min_class_share & merge_pvalue & monotone &
        rare_level_share & max_pvalue & min_iv & strong_pvalue & cluster_threshold & max_label;
  }
};

/// Weight and weighted event count of one bin.
struct Bin {
  double w = 0.0;
  double wy = 0.0;
  double rate() const { return w > 0 ? wy / w : 0.0; }
};

/// Rule for merging an ordered sequence of bins.
struct MergeRule {
  int max_classes = 6;
  double min_weight = 0.0;    ///< absolute weight each group must reach (unless only one group is left)
  double merge_pvalue = 0.05;
  bool monotone = false;
};

/// Merges adjacent bins: first any group lighter than min_weight with its more similar neighbour
/// (smaller 2x2 chi-square), then (if monotone) the most similar adjacent pair violating the
/// overall trend, then the most similar adjacent pair while there are more than max_classes groups
/// or that pair's chi-square p-value exceeds merge_pvalue. Ties: leftmost pair. Returns the group
/// (0..G-1, non-decreasing) of each input bin.
std::vector<int> merge_bins(const std::vector<Bin>& bins, const MergeRule& rule);

/// Pearson chi-square of the 2x2 table of two bins (events / non-events); 0 when a margin is empty.
double chi2_pair(const Bin& a, const Bin& b);

/// Bonferroni multiplier of a supervised class search (CHAID, Kass 1980): the number of ways to
/// group `units` ordered bins into `groups` adjacent groups, C(units-1, groups-1), or (nominal) to
/// partition `units` levels into `groups` groups, the Stirling number S(units, groups). 1 when
/// groups <= 1 or units <= groups; +inf when it overflows a double.
double bonferroni_multiplier(bool ordinal, int units, int groups);

/// Fallback when merge_bins leaves one group: the best split of the ordered bins into two adjacent
/// groups of at least min_weight each (largest 2x2 chi-square, leftmost on ties), kept only when
/// its p-value times `multiplier` (the number of splits searched) is at most max_pvalue. Returns
/// the group (0 or 1) of each bin, or an empty vector when no split qualifies.
std::vector<int> best_binary_split(const std::vector<Bin>& bins, double min_weight, double max_pvalue,
                                   double multiplier);

/// How a supervised class search went, for the screening test's multiple-comparison adjustment.
struct BinningInfo {
  bool ordinal = true;      ///< numeric intervals (ordered bins) or categorical levels (free grouping)
  int units = 0;            ///< pre-bins or level units (rare levels pooled) that were grouped
  int groups = 0;           ///< groups formed (the missing class apart)
  double multiplier = 1.0;  ///< bonferroni_multiplier(ordinal, units, groups)
};

/// Completeness and variation of a raw column.
struct VariationStats {
  double observed_share = 0.0;  ///< weighted share of non-missing values
  double mode_share = 0.0;      ///< weighted share of the most frequent value among all rows (missing counts as a value)
  int distinct = 0;             ///< distinct non-missing values
};
/// `order` (optional): observed_order(x), to share one sort with bin_numeric.
VariationStats variation_stats(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<const Eigen::VectorXd> w,
                               const std::vector<Eigen::Index>* order = nullptr);

/// Indices of the non-missing values of x sorted by (value, index).
std::vector<Eigen::Index> observed_order(Eigen::Ref<const Eigen::VectorXd> x);

/// Link between a class variable (codes 0..k-1) and a 0/1 target.
struct TargetLink {
  double chi2 = 0.0;    ///< Pearson chi-square of the k x 2 table = score test of the class effect
  int df = 0;           ///< non-empty classes - 1
  double pvalue = 1.0;
  double iv = 0.0;      ///< information value sum (pe - pn) ln(pe/pn); an empty cell counts 0.5 weight unit
};
TargetLink target_link(Eigen::Ref<const Eigen::VectorXi> codes, int k, Eigen::Ref<const Eigen::VectorXd> y,
                       Eigen::Ref<const Eigen::VectorXd> w);

/// Upper-tail chi-square p-value with df degrees of freedom (1 when df <= 0).
double chi2_pvalue(double chi2, int df);

/// Supervised discretization of a numeric column (NaN = missing): weighted-quantile pre-bins,
/// merge_bins; when that leaves one interval, best_binary_split with classes of at least
/// rare_level_share (so a rare flag with a significant contrast keeps its two classes); missing as
/// its own class when it reaches the minimum class weight (else merged into the most similar
/// class). y is 0/1, w the (normalized) weights. `info` (optional) receives the search's size.
VariableTransform bin_numeric(const std::string& name, Eigen::Ref<const Eigen::VectorXd> x,
                              Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w,
                              const PrepOptions& opt, const std::vector<Eigen::Index>* order = nullptr,
                              BinningInfo* info = nullptr);

/// Supervised grouping of a categorical column (codes 0..L-1 as doubles, NaN = missing): rare
/// levels pooled into "other", groups ordered by target rate and merged by merge_bins (with the
/// same two-group fallback as bin_numeric); missing as for numeric variables.
VariableTransform group_levels(const std::string& name, Eigen::Ref<const Eigen::VectorXd> codes,
                               const std::vector<std::string>& levels, Eigen::Ref<const Eigen::VectorXd> y,
                               Eigen::Ref<const Eigen::VectorXd> w, const PrepOptions& opt,
                               BinningInfo* info = nullptr);

}  // namespace dmde::model
