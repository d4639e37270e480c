#pragma once
// The preprocessing spec: how each raw variable becomes a prepared class variable (codes 0..K-1).
// `dmde prepare` builds it on the learning table; training and scoring apply exactly the same
// transform through VariableTransform::code/apply.
//
// Rules (documented for the users; also in README "Data management"):
//  - Numeric: cuts c1 < ... < ck define open-ended intervals (-inf,c1), [c1,c2), ..., [ck,+inf),
//    so a value out of the training range falls in the first/last class (counted as out_of_range).
//  - Categorical: raw level code -> class through level_class. A level never seen in training
//    (code out of range or level_class = -1) goes to other_class (the class holding the rare
//    levels) when there is one, else to fallback_class (the largest class). Counted.
//  - Missing (NaN): missing_class when missing was seen in training (its own class, or merged into
//    the closest class when too small); else fallback_class (the largest class). Counted.
#include <Eigen/Core>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace dmde::model {

enum class PrepKind { Numeric = 0, Categorical = 1 };

/// Values met by apply() that training never saw (see the rules above).
struct UnseenCounts {
  std::int64_t out_of_range = 0;    ///< numeric values below the training min or above the max
  std::int64_t unknown_level = 0;   ///< categorical codes with no class
  std::int64_t unseen_missing = 0;  ///< missing values when training had none
  std::int64_t total() const { return out_of_range + unknown_level + unseen_missing; }
  UnseenCounts& operator+=(const UnseenCounts& o) {
    out_of_range += o.out_of_range;
    unknown_level += o.unknown_level;
    unseen_missing += o.unseen_missing;
    return *this;
  }
};

/// The transform of one raw variable into one prepared class variable.
struct VariableTransform {
  std::string source;                  ///< raw variable name in the learning table / population
  std::string name;                    ///< prepared variable name
  PrepKind kind = PrepKind::Numeric;
  std::vector<double> cuts;            ///< numeric: increasing cut points; interval i is class i
  std::vector<std::string> levels;     ///< categorical: raw level names, index = raw code
  std::vector<int> level_class;        ///< categorical: class of each raw code (-1: not seen in training)
  int missing_class = -1;              ///< class of missing values (-1: missing never seen in training)
  int other_class = -1;                ///< categorical: class holding the rare levels (-1: none)
  int fallback_class = 0;              ///< the largest class: unknown level without other_class, unseen missing
  std::vector<std::string> labels;     ///< one label per class: "[120;340[", "missing", "A+B"
  double train_min = 0.0;              ///< numeric: observed range in training (for counting only)
  double train_max = 0.0;

  int n_classes() const { return static_cast<int>(labels.size()); }
  /// Class of one raw value (numeric value, or categorical code as a double; NaN = missing).
  int code(double raw) const;
  /// Vectorised code(); returns the counts of values training never saw. `out` must have raw's size.
  UnseenCounts apply(Eigen::Ref<const Eigen::VectorXd> raw, Eigen::Ref<Eigen::VectorXi> out) const;
  /// Same for float columns (population scoring path).
  UnseenCounts apply(Eigen::Ref<const Eigen::VectorXf> raw, Eigen::Ref<Eigen::VectorXi> out) const;
  /// A copy whose level_class is re-indexed to another file's level names (codes of a population
  /// whose level list differs from training's); names absent from training map to -1 (unknown).
  VariableTransform with_levels(const std::vector<std::string>& file_levels) const;
  /// Checks internal consistency (increasing cuts, classes in range); throws std::invalid_argument.
  void validate() const;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & source & name & kind & cuts & levels & level_class & missing_class & other_class & fallback_class & labels &
        train_min & train_max;
  }
};

/// The whole preprocessing: one transform per prepared variable, in prepared-table column order.
struct PrepSpec {
  static constexpr unsigned kVersion = 1;
  unsigned version = kVersion;             ///< spec format version (also the Boost class version)
  std::string target;                      ///< target outcome the supervised steps used
  std::string weight_mode = "normalized";  ///< how weights entered the statistics
  std::string source_table;                ///< learning table path, for provenance
  std::vector<VariableTransform> vars;

  /// Index of the transform whose prepared name (or, failing that, source name) is `name`; -1 if none.
  int find(const std::string& name) const;

  template <class Ar>
  void serialize(Ar& ar, unsigned file_version) {
    version = file_version;
    ar & target & weight_mode & source_table & vars;
  }
};

/// Label of interval [lo, hi) with French decimal style kept simple: "[lo;hi[", "]-inf;hi[", "[lo;+inf[".
std::string interval_label(double lo, double hi);

}  // namespace dmde::model

BOOST_CLASS_VERSION(dmde::model::PrepSpec, dmde::model::PrepSpec::kVersion)
