#pragma once
// Entry point of the `dmde` executable.

namespace dmde::driver {

/// Initialises MPI, parses the command line, runs the chosen subcommand and maps errors to exit
/// codes: 0 success, 2 bad input (clean exit when every rank knows), 1 anything else. An error on
/// a single rank is logged with its rank and the whole job is aborted, so no rank hangs.
int run_main(int argc, char** argv);

}  // namespace dmde::driver
