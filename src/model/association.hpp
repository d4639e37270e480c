#pragma once
// Weighted association between variables and hierarchical clustering of variables (CAH), the
// last step of data management: one representative per group of correlated candidates.
//
// Documented choices: numeric x numeric pairs use |weighted Pearson r| on the raw values (rows
// where both are observed); every other pair (categorical, or mixed) uses Cramer's V on the
// prepared class codes (missing is a class there). Clustering: average linkage (UPGMA) on the
// distance 1 - association, cut at height `threshold` (groups whose average pairwise
// association is at least 1 - threshold). Representative: the member with the largest target
// chi-square (ties: lowest index).
#include <Eigen/Core>
#include <vector>

namespace dmde::model {

/// Weighted Pearson correlation over rows where x and y are both non-NaN; NaN when fewer than two
/// such rows or a zero variance.
double weighted_pearson(Eigen::Ref<const Eigen::VectorXd> x, Eigen::Ref<const Eigen::VectorXd> y,
                        Eigen::Ref<const Eigen::VectorXd> w);

/// Weighted Cramer's V of two class variables with codes 0..ka-1 and 0..kb-1:
/// sqrt(chi2 / (N (min(ka', kb') - 1))) with ka', kb' the non-empty classes; 0 when either has one class.
double cramers_v(Eigen::Ref<const Eigen::VectorXi> a, int ka, Eigen::Ref<const Eigen::VectorXi> b, int kb,
                 Eigen::Ref<const Eigen::VectorXd> w);

/// Cramer's V of a weighted contingency table (empty rows/columns ignored).
double cramers_v_table(Eigen::Ref<const Eigen::MatrixXd> table);

/// Reusable scratch memory for association_block: the per-block panels (class indicators, centred
/// values) are large (n x ~500 doubles); reusing them across blocks avoids re-faulting fresh pages
/// for every block, which cost about a third of the association time.
class AssociationWorkspace {
 public:
  /// A rows x cols matrix over buffer `slot` (grown when needed, contents unspecified).
  Eigen::Map<Eigen::MatrixXd> get(std::size_t slot, Eigen::Index rows, Eigen::Index cols);

 private:
  // Aligned like Eigen's own matrices: vectorized reductions peel by address, so a differently
  // aligned buffer would sum in another order (results must not depend on the allocation).
  std::vector<std::vector<double, Eigen::aligned_allocator<double>>> buf_;
};

/// Block [i0,i1) x [j0,j1) of the association matrix of m candidates (the choices above):
/// `codes` n x m prepared codes with `k` classes each, `raw` n x m raw values (NaN = missing),
/// `numeric` flags, `w` weights. Computed with matrix products (class indicators for the
/// contingency tables; centred values and observation masks for pairwise-complete Pearson), so
/// a block costs a few GEMMs; a block's values depend only on its inputs, not on who computes it.
Eigen::MatrixXd association_block(Eigen::Ref<const Eigen::MatrixXi> codes, const std::vector<int>& k,
                                  Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<bool>& numeric,
                                  Eigen::Ref<const Eigen::VectorXd> w, Eigen::Index i0, Eigen::Index i1,
                                  Eigen::Index j0, Eigen::Index j1, AssociationWorkspace* ws = nullptr);

/// Average-linkage agglomerative clustering of p items with symmetric distance matrix `dist`
/// (p x p). Merges the closest pair (lowest indices on ties) while its distance is <= threshold.
/// Returns the cluster of each item, numbered by the order of each cluster's smallest member.
std::vector<int> average_linkage_clusters(Eigen::Ref<const Eigen::MatrixXd> dist, double threshold);

/// For each cluster 0..max, the member with the largest score (lowest index on ties).
std::vector<int> cluster_representatives(const std::vector<int>& cluster, const std::vector<double>& score);

}  // namespace dmde::model
