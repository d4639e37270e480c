#pragma once
// Synthetic inputs for the scoring benchmark and demos (not for modelling): a Caf-grouped
// population with heavy-tailed Caf sizes, and a scoring model over its first variables with
// quantile bins and pseudo-random contributions. Deterministic in the seed, any rank count.
#include <cstdint>
#include <string>

#include "core/comm.hpp"
#include "worker/score_model.hpp"

namespace dmde::worker {

/// Writes a population of `rows` dossiers in `cafs` Cafs (sizes ~40x apart, rows grouped by Caf,
/// ids increasing), `vars` variables (every 5th categorical with 6 levels, others float32 with
/// ~3% missing). Collective.
void write_synthetic_population(const Comm& comm, const std::string& path, std::int64_t rows, int cafs, int vars,
                                std::uint64_t seed);

/// A scoring model on the first `inputs` variables of `pop_path` (quantile bins from the first
/// 200k rows, a missing class, main effects plus one interaction per 10 inputs).
ScoreModel synthetic_score_model(const std::string& pop_path, int inputs, std::uint64_t seed);

}  // namespace dmde::worker
