#pragma once
// Fit and association statistics of a binary-outcome score, with SAS PROC LOGISTIC definitions:
// association table (concordant/discordant/tied pairs, Somers' D, Gamma, Tau-a, c), ROC curve,
// cumulative gains ("lift") curve and the area the technical note reports, Hosmer-Lemeshow, and
// the "top k% scored" table of the note. All exact, O(n log n), with optional observation weights.
//
// Common conventions: `score` is the predicted event probability (any monotone score works except
// for Hosmer-Lemeshow, which needs probabilities); `y` holds 0/1; `w` holds observation weights
// (empty = all ones; finite and >= 0). Invalid arguments throw std::invalid_argument.
#include <Eigen/Core>
#include <vector>

namespace dmde::model {

/// Options of the association table.
struct AssociationOptions {
  /// Width of the bins into which scores are cut before counting pairs (bin = floor(score/width));
  /// two scores in one bin are tied. 0 (default) = exact. SAS PROC LOGISTIC before 9.4 TS1M3
  /// "categorizes the predicted probabilities into intervals of length 0.002" (still its
  /// behaviour above 5,000,000 observations or with BINWIDTH=0.002); use sas_binning() to match it.
  double bin_width = 0.0;
  /// The SAS binning: width 0.002.
  static AssociationOptions sas_binning() { return AssociationOptions{0.002}; }
};

/// "Association of Predicted Probabilities and Observed Responses". Pair counts are weighted by
/// the product of the two observations' weights (plain counts when unweighted).
struct Association {
  double n = 0;           ///< weighted number of observations (sum of weights)
  double events = 0;      ///< weighted number of events (y = 1)
  double pairs = 0;       ///< (event, non-event) pairs: events * non-events
  double concordant = 0;  ///< pairs where the event has the higher score
  double discordant = 0;  ///< pairs where the event has the lower score
  double tied = 0;        ///< pairs with equal (or same-bin) scores
  double percent_concordant = 0, percent_discordant = 0, percent_tied = 0;  ///< 100 * x / pairs
  double somers_d = 0;  ///< (C - D) / pairs
  double gamma = 0;     ///< (C - D) / (C + D)
  double tau_a = 0;     ///< (C - D) / (0.5 N (N - 1)), N = weighted count
  double c = 0;         ///< (C + 0.5 T) / pairs = ROC AUC
};

/// Association table of `score` against 0/1 `y`. Throws if there are no (event, non-event) pairs.
Association association(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                        Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd(),
                        const AssociationOptions& opt = {});

/// ROC curve: one point per distinct score, thresholds decreasing, from (0,0) to (1,1).
struct RocCurve {
  Eigen::VectorXd threshold;  ///< point i flags score >= threshold[i] (threshold[0] = +inf)
  Eigen::VectorXd fpr;        ///< weighted false positive rate
  Eigen::VectorXd tpr;        ///< weighted true positive rate (sensitivity)
  double auc = 0;             ///< trapezoid area; equals Association::c (exact)
};
RocCurve roc_curve(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                   Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd());

/// Cumulative gains curve (what French SAS users call the "courbe LIFT"): dossiers sorted by
/// decreasing score; x = weighted share of dossiers targeted, y = weighted share of all events
/// captured; one point per distinct score, from (0,0) to (1,1); lift = y / x.
struct GainsCurve {
  Eigen::VectorXd share_targeted;  ///< x
  Eigen::VectorXd share_captured;  ///< y (cumulative gains)
  Eigen::VectorXd lift;            ///< y / x (NaN at x = 0)
  double base_rate = 0;            ///< weighted event rate p
  /// Raw trapezoid area under the gains curve = p/2 + (1 - p) * AUC (0.5 random, 1 - p/2 perfect).
  double area = 0;
  /// The area the technical note reports as "aire sous la courbe LIFT": the area between the gains
  /// curve and the diagonal over that of the perfect model, (area - 0.5) / (0.5 - p/2), i.e. the
  /// accuracy ratio, which equals 2 * AUC - 1 = Somers' D exactly. The note's AUC 0.80 and "area
  /// under lift 0.60" (base rate 10.9%) fit this definition; the raw area would be 0.767.
  double area_normalized = 0;
};
GainsCurve gains_curve(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                       Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd());

/// Hosmer-Lemeshow goodness-of-fit test.
struct HosmerLemeshow {
  double chi_square = 0;
  int df = 0;          ///< groups - 2
  double p_value = 0;  ///< upper tail of chi-square(df); NaN if df < 1
  std::vector<double> group_n, observed_events, expected_events;  ///< per group (weighted)
};
/// Groups as R's ResourceSelection::hoslem.test: cut points are the type-7 quantiles of `prob` at
/// 0, 1/g, ..., 1 (duplicates merged, intervals closed on the right, the first also on the left);
/// statistic = sum over groups of (O1-E1)^2/E1 + (O0-E0)^2/E0 with E1 = sum of w*prob. Weights
/// enter the observed/expected sums but not the cut points. `prob` must lie in (0, 1).
HosmerLemeshow hosmer_lemeshow(Eigen::Ref<const Eigen::VectorXd> prob, Eigen::Ref<const Eigen::VectorXd> y,
                               Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd(), int groups = 10);

/// The "top k% scored" table of the note (section 7).
struct TopKTable {
  double k = 0;               ///< requested share in (0, 1]
  double selected_n = 0;      ///< weighted count selected
  double selected_share = 0;  ///< selected_n / total weighted count (close to k)
  Eigen::VectorXd flag_share_top, flag_share_all;  ///< per flag column: weighted share of 1s
  Eigen::VectorXd mean_top, mean_all;              ///< per amount column: weighted mean
  /// Per flag column: share of all the flag's (weighted) 1s that fall in the selection.
  Eigen::VectorXd flag_capture;
};
/// Selects dossiers by decreasing score (ties broken by row order, so the result is
/// deterministic) while the weight accumulated before a row is below k * total weight. `flags`
/// (n x a, 0/1) and `amounts` (n x b) may have zero columns; NaN entries are left out of that
/// column's share or mean.
TopKTable top_k_table(Eigen::Ref<const Eigen::VectorXd> score, double k, Eigen::Ref<const Eigen::MatrixXd> flags,
                      Eigen::Ref<const Eigen::MatrixXd> amounts,
                      Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd());

/// Rows of `score` in decreasing order, ties by increasing row (the order every curve here uses).
std::vector<Eigen::Index> order_decreasing(Eigen::Ref<const Eigen::VectorXd> score);

}  // namespace dmde::model
