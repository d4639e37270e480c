#pragma once
// What nightly scoring needs from a trained model, in resolved form: for each scorecard input, how
// a raw population variable maps to its class code (the preprocessing spec restricted to the model
// inputs), the learning-table class shares (for drift), the additive scorecard, and the learning
// score distribution. Built from a ModelArtifact + PrepSpec (train/prep branches) by one adapter;
// meanwhile saved/loaded on its own ("DMDESCM" container) so that scoring, its tests and its
// benchmark run end to end.
//
// Models from `dmde train` carry the PrepSpec of `dmde prepare`: each input then holds its
// model::VariableTransform and is coded by VariableTransform::apply, exactly as in training (rules in
// model/prep_spec.hpp: intervals [c_i, c_i+1), +/-inf as out-of-range values, missing -> missing or
// largest class, unknown level -> other or largest class; counted). Without a transform (synthetic
// benchmark models) the interim rules below apply.
// Interim coding rules (every case counted per variable):
//   numeric      class k such that cuts[k-1] < x <= cuts[k] (k = number of cuts below x);
//                NaN -> missing_class; +/-inf -> missing_class (counted as non-finite);
//                x outside the training range [lo, hi] -> the extreme class it falls in (counted
//                as out-of-range: the bins are open-ended, as in training).
//   categorical  population level names are matched by name to the training levels; a level the
//                model never saw -> unseen_class (counted as unseen); missing -> missing_class.
#include <cstdint>
#include <string>
#include <vector>

#include "core/table.hpp"
#include "model/prep_spec.hpp"
#include "model/scorecard.hpp"
#include "model/artifact.hpp"
#include "worker/score_coding.hpp"

namespace dmde::worker {

/// How one scorecard input is coded from one raw variable.
struct InputCoding {
  std::string variable;             ///< raw population variable read from /variables/<name>
  bool categorical = false;         ///< expected kind of the raw variable
  std::vector<double> cuts;         ///< numeric: ascending class upper bounds (classes = cuts.size() + 1 + extra)
  double lo = 0, hi = 0;            ///< numeric: training range (values outside are counted as out-of-range)
  std::vector<std::string> levels;  ///< categorical: training level names
  std::vector<int> level_class;     ///< categorical: class of each training level
  int missing_class = 0;            ///< class of a missing (or non-finite) value
  int unseen_class = 0;             ///< categorical: class of a level never seen in training
  int n_classes = 1;                ///< number of classes (the scorecard's level count of this input)
  std::vector<double> learn_share;  ///< share of each class in the learning table (sums to 1; empty = unknown)
  /// A prepared input (model trained on a prepared table, no spec): the raw categorical code is the
  /// class; a missing value or a code >= n_classes is an error, not a guess.
  bool by_code = false;
  /// 0 or 1 transform from the model's PrepSpec; when present it alone defines the coding.
  std::vector<model::VariableTransform> transform;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & variable & categorical & cuts & lo & hi & levels & level_class & missing_class & unseen_class & n_classes &
        learn_share & by_code & transform;
  }
};

/// Per-variable counts of the documented bad-value handling.
struct CodingCounts {
  std::int64_t missing = 0;       ///< NaN / missing level
  std::int64_t nonfinite = 0;     ///< +/-inf (interim rules: coded as missing; spec: out-of-range values)
  std::int64_t out_of_range = 0;  ///< numeric value outside the training range
  std::int64_t unseen = 0;        ///< level unknown to the model (spec: also missing values training never had)
};

/// The model as scoring uses it.
struct ScoreModel {
  model::Scorecard card;
  std::vector<InputCoding> coding;           ///< one per card.inputs, same order
  std::vector<double> score_cuts;            ///< learning-table probability bin bounds (ascending), for score PSI
  std::vector<double> score_learn_share;     ///< learning-table share of each score bin (score_cuts.size() + 1)
  std::string name;                          ///< free label (target, version)

  /// Checks the card and the coding agree (classes, shares); throws InputError naming `where`.
  void validate(const std::string& where) const;
  /// "fnv1a64:<hex>" of the serialized model: identifies the model in outputs.
  std::string fingerprint() const;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & card & coding & score_cuts & score_learn_share & name;
  }
};

/// Resolved coder of one input against one population file: raw values -> class codes.
class InputCoder {
 public:
  /// Checks the population variable exists with the expected kind, and maps its level names to
  /// classes; throws InputError naming the file and variable.
  InputCoder(const InputCoding& c, const TableSchema& pop, const std::string& pop_path);
  /// Codes `n` raw values (categorical: population level codes as floats, NaN = missing).
  void apply(const float* raw, std::int64_t n, int* codes, CodingCounts& counts) const;
  /// Whether apply_bytes serves this input: numeric (interim rules or spec transform), at most 15
  /// cuts, at most 256 classes.
  bool codes_bytes() const { return bytes_; }
  /// Same codes as apply, as bytes, and adds each class's count to classes[0 .. n_classes).
  void apply_bytes(const float* raw, std::int64_t n, std::uint8_t* codes, CodingCounts& counts,
                   std::int64_t* classes) const;
  /// Whether apply_levels serves this input: categorical (interim rules or spec transform; not
  /// by_code), at most 255 population levels, at most 256 classes.
  bool codes_levels() const { return levels_; }
  /// Same codes as apply, from the population's int16 level codes (-1 = missing) as bytes, and adds
  /// each class's count to classes[0 .. n_classes). A code outside the levels: InputError.
  void apply_levels(const std::int16_t* lv, std::int64_t n, std::uint8_t* codes, CodingCounts& counts,
                    std::int64_t* classes) const;
  const InputCoding& coding() const { return *c_; }

 private:
  const InputCoding* c_;
  std::vector<model::VariableTransform> t_;  ///< the spec transform re-indexed to the file's levels
  std::vector<int> pop_level_class_;  ///< population level code -> class (unseen_class when unknown)
  std::vector<int> pop_level_unseen_;  ///< 1 where the level is unknown to the model (last entry: missing)
  // apply_bytes: the cuts and range as float (exactly equivalent compares), the rule, NaN's class.
  bool bytes_ = false;
  std::vector<float> cuts_f_;
  float lo_f_ = 0, hi_f_ = 0;
  std::uint8_t miss8_ = 0;
  CutRule rule_ = CutRule::Interim;
  bool unseen_nan_ = false;  ///< spec: a missing value training never had counts as unseen
  // apply_levels: entry 0 for a missing value, entry l + 1 for population level l.
  bool levels_ = false;
  std::vector<std::uint8_t> level_cls8_;  ///< class
  std::vector<std::uint8_t> level_uns8_;  ///< 1: counted as unseen
};

/// Population stability index sum((a - e) * ln(a / e)) over bins, shares floored at 1e-4.
double psi(const std::vector<double>& expected, const std::vector<double>& actual);
/// 0 "stable" (< 0.1), 1 "moderate shift" (< 0.25), 2 "major shift".
int psi_level(double value);

/// The scoring model of a train artifact held in memory (`path` names it in errors).
ScoreModel score_model_from(const model::ModelArtifact& a, const std::string& path);

/// Sets the learning side of drift from the learning rows' class codes (rows x inputs, in the
/// scorecard's input order) and survey weights: each input's class shares and ten score bins
/// (weighted deciles of the learning probabilities). `dmde train` stores the result in the model
/// artifact (meta "learning_distribution"), so drift needs no learning table at scoring time.
void set_learning_distribution(ScoreModel& m, const Eigen::MatrixXi& codes, Eigen::Ref<const Eigen::VectorXd> w);
/// The learning side of drift as JSON {"class_shares": [[...] per input], "score_cuts", "score_shares"}
/// and back (throws InputError on a malformed text or sizes that do not match the model).
std::string learning_distribution_json(const ScoreModel& m);
void learning_distribution_from_json(ScoreModel& m, const std::string& text);

/// Sets the learning-table side of drift from the learning (or prepared raw) table at `path`: each
/// input's class shares and ten score bins (weighted deciles of the learning scores), all with the
/// table's survey weights. Replaces what the model carried. Throws InputError naming the file.
void attach_learning_distribution(ScoreModel& m, const std::string& path);

/// The model as JSON (for peers and audits without dmde): intercept, inputs with their coding
/// rules and learning shares, terms (effect, inputs, n_levels, beta, reference), score bins.
std::string score_model_json(const ScoreModel& m);

/// Saves a ScoreModel atomically ("DMDESCM\n" + uint32 version + payload).
void save_score_model(const std::string& path, const ScoreModel& m);
/// Loads a ScoreModel, or converts a `dmde train` artifact (worker/artifact_io.hpp): with a prep
/// spec, each scorecard input gets its VariableTransform (found by prepared name) and reads the
/// transform's source variable; without one, inputs are prepared categorical variables read by code
/// (InputCoding::by_code). Throws InputError naming the path for a missing, foreign or corrupt file
/// or a spec that does not match the scorecard.
ScoreModel load_score_model(const std::string& path);

}  // namespace dmde::worker
