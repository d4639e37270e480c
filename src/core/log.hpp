#pragma once
// Rank-tagged logging on stderr through spdlog. Never log personal data: counts, names of
// variables and files only, never dossier ids or values.
#include <spdlog/spdlog.h>

#include <string>

namespace dmde::log {

/// Sets the pattern "[dmde r<rank>/<size> HH:MM:SS.mmm] level: message" and the level
/// ("trace", "debug", "info", "warn", "error"). Ranks other than 0 log at warn and above unless
/// `all_ranks` is set, so that batch logs stay readable.
void init(int rank, int size, const std::string& level = "info", bool all_ranks = false);

}  // namespace dmde::log
