#pragma once
// Final model (technical note section 6, last bullet): the kept effects (+ accepted interactions)
// refitted on the whole learning table, reduced to a model::Scorecard (reference coding: the
// reference class / cell contributes 0; reference profile = weighted mean over training) and
// packed with its SAS-style fit summary into a model::ModelArtifact.
#include <string>
#include <vector>

#include "model/artifact.hpp"
#include "worker/bootstrap_model.hpp"

namespace dmde::worker {

/// Refits `effects` (ClassData indices; interactions added with add_interaction) on d.w and
/// builds the artifact (target, card, fit summary). Metadata is left to the caller.
model::ModelArtifact build_final_model(const ClassData& d, const std::vector<int>& effects, const std::string& target,
                                       const StepwiseOptions& opt = {});

/// SAS-like printout of the fit summary ("Analysis of Maximum Likelihood Estimates", Type 3, fit statistics).
std::string format_fit_summary(const model::ModelArtifact& a);

}  // namespace dmde::worker
