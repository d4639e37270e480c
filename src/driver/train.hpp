#pragma once
// `dmde train`: the retrain of technical note sections 6-7 as one MPI job — bootstrap selection,
// interaction search, validation, final model — each stage also runnable alone (--stage).
// Exposed here so tests can run the whole job in-process under mpirun.
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"

namespace dmde::driver {

/// Parameters of `dmde train`.
struct TrainParams {
  std::string table;                  ///< prepared table (output of `dmde prepare`): class-coded variables
  std::string output = "model.dmde";  ///< model artifact; stage files: <output>.{bootstrap,interactions,validation}.h5
  std::string target = "target_c4";   ///< 0/1 outcome column to model
  std::vector<std::string> vars;      ///< candidate variables (empty = every categorical variable)
  std::string stage = "all";          ///< all | bootstrap | interactions | validate | final
  int replicates = 300;               ///< bootstrap replicates
  std::uint64_t seed = 20190201;      ///< seed of every random stream (replicates, folds, optimism)
  bool stratify = true;               ///< resample within target classes
  double threshold = 0.5;             ///< keep variables selected in >= this share of replicates
  double slentry = 0.05;              ///< stepwise SLENTRY
  double slstay = 0.05;               ///< stepwise SLSTAY
  int max_steps = -1;                 ///< stepwise steps per replicate (-1 = 2 x candidates, SAS default)
  bool interactions = true;           ///< run the interaction search in --stage all
  double inter_alpha = 0.05;          ///< Holm family-wise level of the pair tests
  double inter_min_gain = 0.001;      ///< minimum cross-validated AUC gain to add a pair
  int folds = 5;                      ///< cross-validation folds
  int cv_repeats = 5;                 ///< cross-validation repeats
  int optimism_b = 100;               ///< bootstrap samples of the optimism correction (0 = skip)
  int ci_b = 200;                     ///< row-bootstrap samples for confidence intervals
  double top_share = 0.05;            ///< share of top-scored dossiers in the performance table
  bool resume = false;                ///< continue an interrupted bootstrap from its checkpoint
  std::int64_t stop_after = -1;       ///< test only: stop after this many new replicates (simulated kill)
  std::string prep_spec;              ///< serialized PrepSpec file to embed (empty: the table's /prep_spec, if any)
  int prefetch = 2;                   ///< tasks queued ahead on each worker rank
  bool progress = true;               ///< progress lines on rank 0

  void validate() const;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & table & output & target & vars & stage & replicates & seed & stratify & threshold & slentry & slstay &
        max_steps & interactions & inter_alpha & inter_min_gain & folds & cv_repeats & optimism_b & ci_b & top_share &
        resume & stop_after & prep_spec & prefetch & progress;
  }
};

/// Runs the job on every rank of `comm` (collective). Returns the exit code.
int run_train(Comm& comm, TrainParams& p);

}  // namespace dmde::driver
