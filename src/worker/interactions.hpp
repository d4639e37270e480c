#pragma once
// Interaction search (technical note section 6, second bullet): every pair of kept variables is
// tested by the score chi-square of adding the a*b cells to the kept model (the test conditional
// on the kept main effects, df = (La-1)(Lb-1)), pairs distributed over ranks. Multiplicity: Holm
// step-down at `alpha` over all tested pairs. Then, in increasing p order, a significant pair is
// added only if it raises the cross-validated AUC (stratified k-fold, fixed split) by more than
// `min_gain`. Every tested pair is reported.
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "worker/bootstrap_model.hpp"

namespace dmde::worker {

struct InteractionOptions {
  double alpha = 0.05;      ///< family-wise level (Holm)
  double min_gain = 0.001;  ///< minimum cross-validated AUC gain to add a pair
  int folds = 5;
  std::uint64_t seed = 1;
  int prefetch = 2;
  bool progress = true;
};

struct PairTest {
  int a = 0, b = 0;         ///< ClassData variable indices
  double chisq = 0;
  int df = 0;
  double p = 1, p_holm = 1;
  bool significant = false;
  double cv_gain = 0;       ///< NaN when not checked (not significant)
  bool added = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & a & b & chisq & df & p & p_holm & significant & cv_gain & added;
  }
};

struct InteractionReport {
  std::vector<PairTest> pairs;  ///< in (a, b) order
  double base_cv_auc = 0, final_cv_auc = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & pairs & base_cv_auc & final_cv_auc;
  }
};

/// Collective; the report is valid on every rank.
InteractionReport search_interactions(const Comm& comm, const ClassData& d, const std::vector<int>& kept,
                                      const InteractionOptions& opt, const StepwiseOptions& fit_opt = {});
/// Writes the report (rank 0; atomic): /pairs/{a,b strings; chisq,p,p_holm,cv_gain f64; df,significant,added int32}.
void write_interactions(const std::string& path, const InteractionReport& r, const ClassData& d);
/// Reads the added pairs back as variable-name pairs.
std::vector<std::pair<std::string, std::string>> read_added_interactions(const std::string& path);

}  // namespace dmde::worker
