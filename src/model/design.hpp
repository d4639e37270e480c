#pragma once
// Effects and design matrices as SAS PROC LOGISTIC builds them: numeric variables, CLASS
// variables (reference or effect coding; reference level = last level by default, like SAS's
// REF=LAST), and two-way interactions of any kinds. Each effect is a block of design columns,
// so class effects enter, leave and are tested as one multi-df block.
#include <Eigen/Core>
#include <string>
#include <vector>

namespace dmde::model {

/// CLASS parameterisation (SAS PARAM=REF or PARAM=EFFECT).
enum class Coding {
  Reference,  ///< one 0/1 column per non-reference level; the reference level is all zeros.
  Effect,     ///< one column per non-reference level; the reference level is -1 in every column.
};

/// One model effect: a variable ("a") or a two-way interaction ("a*b").
struct EffectSpec {
  std::vector<std::string> vars;  ///< 1 or 2 variable names

  /// "a" or "a*b".
  std::string name() const;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar& vars;
  }
};

/// Parses the --effects syntax: effects separated by blanks or commas, interactions "a*b".
/// Throws std::invalid_argument on an empty effect, a repeated effect or more than two factors.
std::vector<EffectSpec> parse_effects(const std::string& text);

/// How one CLASS variable is coded.
struct ClassSpec {
  std::string var;
  Coding coding = Coding::Reference;
  std::string ref;  ///< reference level name; empty = last observed level (SAS default)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar& var& coding& ref;
  }
};

/// A raw input column: numeric values, or class codes 0..L-1 (as doubles; NaN = missing).
struct RawVar {
  std::string name;
  bool categorical = false;         ///< codes with level names (a numeric may still be made CLASS)
  std::vector<std::string> levels;  ///< level names of codes; empty: the code itself is the name
};

/// A CLASS variable after seeing the data: the levels actually observed and the coding.
struct ClassLevels {
  std::string var;
  Coding coding = Coding::Reference;
  std::vector<double> codes;       ///< observed raw codes (or values), sorted; the design's level order
  std::vector<std::string> names;  ///< their names
  int ref = -1;                    ///< index in `codes` of the reference level

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar& var& coding& codes& names& ref;
  }
};

/// A design: X (rows kept x columns) with column blocks per effect.
struct Design {
  Eigen::MatrixXd X;  ///< column 0 is the intercept when `intercept`
  bool intercept = true;
  std::vector<Eigen::Index> rows;       ///< raw row index of each design row
  Eigen::Index n_missing = 0;           ///< raw rows dropped for a missing value in a used variable
  std::vector<std::string> effects;     ///< effect names; effect 0 is "Intercept" when `intercept`
  std::vector<Eigen::Index> block;      ///< effect e owns columns [block[e], block[e+1]); size effects+1
  std::vector<std::string> col_effect;  ///< per column: its effect name
  std::vector<std::string> col_level;   ///< per column: class level(s), "" for numeric ("A B" for A*B levels)
  std::vector<ClassLevels> classes;     ///< the CLASS variables used

  Eigen::Index cols() const { return X.cols(); }
  /// Index of effect `name` or -1.
  int find_effect(const std::string& name) const;
};

/// Builds the design for `effects` over raw columns `raw` (n x vars.size(), column j is vars[j]).
/// Variables listed in `classes` are CLASS variables; every other variable used must be numeric
/// (a categorical RawVar not in `classes` throws). Rows with NaN in any used variable are
/// dropped and counted. Throws std::invalid_argument for unknown variables or a reference level
/// that is not observed.
Design build_design(Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<RawVar>& vars,
                    const std::vector<EffectSpec>& effects, const std::vector<ClassSpec>& classes,
                    bool intercept = true);

/// The design restricted to effects `keep` (indices into d.effects, increasing): columns, blocks
/// and labels (e.g. the final model of a selection).
Design subset_effects(const Design& d, const std::vector<int>& keep);

}  // namespace dmde::model
