#pragma once
// Saving, loading and exporting the model artifact (model/artifact.hpp).
//
// File layout of `model.dmde` (little-endian):
//   bytes 0-7    magic "DMDEMDL\n"
//   bytes 8-11   uint32 container version (1)
//   bytes 12-19  uint64 payload length
//   bytes 20-27  uint64 FNV-1a 64 of the payload (detects truncation and bit rot)
//   bytes 28-    payload: Boost binary archive of ModelArtifact (its own class version inside)
// Exports for readers without dmde: JSON (`model.dmde.json`) and HDF5 (`model.dmde.h5`).
#include <cstdint>
#include <string>

#include "core/table.hpp"
#include "model/artifact.hpp"

namespace dmde::worker {

/// Current container version written by save_artifact.
inline constexpr std::uint32_t kArtifactContainerVersion = 1;

/// Writes `a` to `path` atomically (temporary file, fsync, rename). Throws dmde::Error on I/O
/// failure and std::invalid_argument when the scorecard is inconsistent.
void save_artifact(const std::string& path, const model::ModelArtifact& a);

/// Reads an artifact. Throws dmde::InputError naming the path for a missing file, a file that is
/// not a dmde model ("not a dmde model artifact"), a newer container version, or a corrupt/truncated one.
model::ModelArtifact load_artifact(const std::string& path);

/// The artifact as JSON (scorecard terms, parameters, fit figures, metadata; prep spec omitted:
/// it is in the HDF5 export as bytes). Pretty-printed.
std::string artifact_to_json(const model::ModelArtifact& a);
/// Writes artifact_to_json(a) to `path` atomically.
void export_artifact_json(const std::string& path, const model::ModelArtifact& a);
/// Writes the artifact as HDF5 (atomic):
///   / attrs: dmde_format="dmde-model", target, intercept, meta_<key> strings
///   /inputs strings; /terms/<k>/beta float64, inputs int32, n_levels int32, attrs effect, reference
///   /parameters/{effect,level strings; df int32; estimate,std_error,wald_chisq,p_value float64}
///   /prep_spec uint8 (the serialized PrepSpec bytes, when present)
void export_artifact_h5(const std::string& path, const model::ModelArtifact& a);

/// FNV-1a 64 of raw bytes (used for payload checks and data fingerprints).
std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL);
/// Fingerprint of a table's content (ids, cafs, weights, outcomes, variable names and values):
/// "fnv1a64:<16 hex digits>". Equal tables give equal fingerprints on any machine (same endianness).
std::string table_fingerprint(const Table& t);

/// "dmde <version>" of this build.
std::string software_version();

}  // namespace dmde::worker
