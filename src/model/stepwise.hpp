#pragma once
// Effect selection as SAS PROC LOGISTIC SELECTION=FORWARD|BACKWARD|STEPWISE does it:
// entry of the candidate with the smallest score chi-square p-value below SLENTRY, removal of
// the effect with the largest Wald p-value above SLSTAY, class effects as blocks (multi-df
// tests), INCLUDE (forced) effects, hierarchy (an interaction a*b may enter only when a and b
// are in; a main effect may not leave while an interaction containing it is in), stop when the
// next step would give a model already fitted (cycle) or after max_steps.
//
// All candidates' entry tests come from one call of score_tests (a GEMM), never one refit each.
#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

#include "model/hypothesis.hpp"
#include "model/logistic.hpp"

namespace dmde::model {

enum class Selection { None, Forward, Backward, Stepwise };
/// "none", "forward", "backward", "stepwise".
std::string to_string(Selection s);
/// Parses the names above; throws std::invalid_argument.
Selection selection_from_string(const std::string& s);

/// Options of select_effects.
struct SelectionOptions {
  Selection method = Selection::Stepwise;
  double slentry = 0.05;     ///< SAS SLENTRY
  double slstay = 0.05;      ///< SAS SLSTAY
  int max_steps = -1;        ///< SAS MAXSTEP; -1 = 2 x number of effects (forward/stepwise), effects (backward)
  std::vector<int> include;  ///< effects always in the model (SAS INCLUDE=, as effect indices)
  bool hierarchy = true;     ///< SAS HIERARCHY=SINGLE for interactions named "a*b"
  LogisticOptions fit;       ///< options of every refit
  /// Called before each step (not serialized): lets a caller that also serves other work (rank 0
  /// of a work queue) answer between steps instead of only between whole selections.
  std::function<void()> between_steps;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & method & slentry & slstay & max_steps & include & hierarchy & fit;
  }
};

/// One step of the selection path.
struct SelectionStep {
  int step = 0;         ///< 1, 2, ...
  int effect = -1;      ///< effect index
  std::string name;     ///< effect name
  bool entered = true;  ///< false: removed
  ChiSqTest test;       ///< score test (entry) or Wald test (removal)
  int n_in = 0;         ///< effects in the model after the step (intercept not counted)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & step & effect & name & entered & test & n_in;
  }
};

/// Result: the path, the final effects and the final fit.
struct SelectionResult {
  std::vector<SelectionStep> steps;
  std::vector<int> selected;          ///< effect indices in the final model, increasing (intercept included)
  std::vector<Eigen::Index> columns;  ///< design columns of the final model (columns of `fit`)
  LogisticFit fit;                    ///< fit of the final model on X(:, columns)
  bool cycle = false;                 ///< stopped because a step would repeat an earlier model
  std::string stop_reason;            ///< one line, for the report

  /// Boost serialization (gathering replicate results); include core/serialize.hpp first.
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & steps & selected & columns & fit & cycle & stop_reason;
  }
};

/// Selects effects among the column blocks of the design X (n x p): effect e owns columns
/// [block[e], block[e+1]), `names[e]` is its name ("a", "a*b"; "Intercept" effects are always
/// kept). y in [0,1], w = effective weights (see weights.hpp). Throws std::invalid_argument on
/// inconsistent sizes or an include index out of range.
SelectionResult select_effects(Eigen::Ref<const Eigen::MatrixXd> X, const std::vector<Eigen::Index>& block,
                               const std::vector<std::string>& names, Eigen::Ref<const Eigen::VectorXd> y,
                               Eigen::Ref<const Eigen::VectorXd> w, const SelectionOptions& opt = {});

}  // namespace dmde::model
