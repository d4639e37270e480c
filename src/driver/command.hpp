#pragma once
// How a subcommand plugs into `dmde`: it adds a CLI11 sub-app bound to its parameters struct and
// returns the action to run once parsing is done. Parameters are validated on rank 0 and
// broadcast serialized, so every rank runs with exactly the same values.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/serialize.hpp"

namespace dmde::driver {

/// Thrown on every rank at once (after a broadcast decision): main exits cleanly with code 2
/// instead of aborting the job.
struct SharedInputError : InputError {
  using InputError::InputError;
};

/// One runnable subcommand (a leaf: `dmde fit`, `dmde generate learning`, ...).
struct Command {
  CLI::App* app = nullptr;
  std::function<int(Comm&)> run;
};

/// What registration functions append to; main runs the one whose app was parsed.
using Commands = std::vector<Command>;

/// Rank 0 calls `p.validate()` (which throws InputError); the outcome and the serialized struct
/// are broadcast, so either every rank gets rank 0's parameters or every rank throws the same
/// SharedInputError.
template <class Params>
void share_params(Comm& comm, Params& p) {
  std::string msg;
  if (comm.is_root()) {
    try {
      p.validate();
    } catch (const InputError& e) {
      msg = e.what();
    }
  }
  comm.bcast(msg);
  if (!msg.empty()) throw SharedInputError(msg);
  std::string bytes = comm.is_root() ? to_bytes(p) : std::string();
  comm.bcast(bytes);
  if (!comm.is_root()) from_bytes(bytes, p);
}

/// Runs `fn` on rank 0 only and turns an InputError there into a SharedInputError on all ranks
/// (for checks that read a file header before collective work starts).
void root_check(Comm& comm, const std::function<void()>& fn);

// Registration functions, one per subcommand file (cmd_<name>.cpp), each
// `void add_<name>_command(CLI::App& app, Commands& out)`; app.cpp calls each once.
// A group such as `generate` is created by its first registrant and found by the others with
// `app.get_subcommand("generate")` (CLI11), each adding its own leaf.
void add_import_command(CLI::App& app, Commands& out);
void add_doctor_command(CLI::App& app, Commands& out);
void add_fit_command(CLI::App& app, Commands& out);
void add_prepare_command(CLI::App& app, Commands& out);
void add_targets_command(CLI::App& app, Commands& out);
void add_monitor_command(CLI::App& app, Commands& out);
void add_audit_command(CLI::App& app, Commands& out);
void add_report_command(CLI::App& app, Commands& out);
void add_generate_controls_command(CLI::App& app, Commands& out);
void add_generate_command(CLI::App& app, Commands& out);
void add_train_command(CLI::App& app, Commands& out);
void add_score_command(CLI::App& app, Commands& out);

}  // namespace dmde::driver
