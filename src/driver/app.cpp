#include "driver/app.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <vector>

#include "core/comm.hpp"
#include "core/log.hpp"
#include "driver/command.hpp"

namespace dmde::driver {

void root_check(Comm& comm, const std::function<void()>& fn) {
  std::string msg;
  if (comm.is_root()) {
    try {
      fn();
    } catch (const Error& e) {
      msg = e.what();
    }
  }
  comm.bcast(msg);
  if (!msg.empty()) throw SharedInputError(msg);
}

int run_main(int argc, char** argv) {
  MpiSession mpi(&argc, &argv);
  Comm comm;
  CLI::App app{"dmde: Datamining Donnees Entrantes risk model (learning table, targets, data management, "
               "bootstrap retrain, national scoring, monitoring)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dmde 0.1.0");
  std::string level = "info";
  bool all_ranks = false;
  app.add_option("--log-level", level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_flag("--log-all-ranks", all_ranks, "Let every rank log at the chosen level (default: rank 0 only)");

  Commands commands;
  add_import_command(app, commands);
  add_doctor_command(app, commands);
  add_fit_command(app, commands);
  add_prepare_command(app, commands);
  add_targets_command(app, commands);
  add_monitor_command(app, commands);
  add_audit_command(app, commands);
  add_report_command(app, commands);
  add_generate_controls_command(app, commands);
  add_generate_command(app, commands);
  add_train_command(app, commands);
  add_score_command(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same argv, so every rank returns the same code; rank 0 prints.
    if (comm.is_root()) return app.exit(e);
    return e.get_exit_code();
  }
  try {
    log::init(comm.rank(), comm.size(), level, all_ranks);
  } catch (const Error& e) {
    if (comm.is_root()) std::fprintf(stderr, "dmde: error: %s\n", e.what());
    return 2;
  }
  for (auto& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run(comm);
    } catch (const SharedInputError& e) {
      if (comm.is_root()) spdlog::error("{}", e.what());
      return 2;
    } catch (const InputError& e) {
      spdlog::error("{}", e.what());
      if (comm.size() == 1) return 2;
      spdlog::default_logger()->flush();
      comm.abort(2);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      if (comm.size() == 1) return 1;
      spdlog::default_logger()->flush();
      comm.abort(1);
    }
  }
  return 1;
}

}  // namespace dmde::driver
