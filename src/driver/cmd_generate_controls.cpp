// `dmde generate controls`: synthetic closed controls (note section 9 calibration) for `dmde
// monitor` demos and tests. Each rank generates a block of rows keyed by (seed, row), rank 0
// writes them in order: the file is identical at any rank count.
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>

#include "core/atomic.hpp"
#include "driver/command.hpp"
#include "worker/controls.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde generate controls`.
struct GenControlsParams {
  std::string output;               ///< output CSV
  std::int64_t n = 20000;           ///< number of controls
  std::uint64_t seed = 1;           ///< RNG seed
  std::string from = "2019-02-01";  ///< first launch date
  std::string to = "2020-07-31";    ///< last close date

  void validate() const {
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (n < 1) throw InputError("-n must be at least 1");
    try {
      if (worker::days_from_date(to) - worker::days_from_date(from) < 14)
        throw InputError("--to must be at least 14 days after --from");
    } catch (const std::invalid_argument& e) {
      throw InputError(e.what());
    }
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & output & n & seed & from & to;
  }
};

int run_generate_controls(Comm& comm, GenControlsParams& p) {
  share_params(comm, p);
  worker::ControlsGenSpec spec;
  spec.n = p.n, spec.seed = p.seed, spec.from = p.from, spec.to = p.to;
  const auto mine = worker::generate_controls(spec, worker::block_range(p.n, comm.rank(), comm.size()));
  const auto parts = comm.gather(worker::controls_csv(mine, comm.is_root()));
  root_check(comm, [&] {
    std::string all;
    for (const auto& part : parts) all += part;
    write_file_atomic(p.output, all);
    spdlog::info("wrote {} synthetic controls to {}", p.n, p.output);
  });
  return 0;
}

}  // namespace

void add_generate_controls_command(CLI::App& app, Commands& out) {
  CLI::App* group = nullptr;
  for (auto* s : app.get_subcommands([](CLI::App* a) { return a->get_name() == "generate"; })) group = s;
  if (!group) {
    group = app.add_subcommand("generate", "Seeded synthetic data (learning table, population, controls)");
    group->require_subcommand(1);
  }
  auto p = std::make_shared<GenControlsParams>();
  auto* sub = group->add_subcommand("controls", "Synthetic closed controls for `dmde monitor` (note section 9)");
  sub->add_option("-o,--output", p->output, "Output CSV")->required();
  sub->add_option("-n,--rows", p->n, "Number of controls")->capture_default_str();
  sub->add_option("--seed", p->seed, "RNG seed")->capture_default_str();
  sub->add_option("--from", p->from, "First launch date (YYYY-MM-DD)")->capture_default_str();
  sub->add_option("--to", p->to, "Last close date (YYYY-MM-DD)")->capture_default_str();
  out.push_back({sub, [p](Comm& comm) { return run_generate_controls(comm, *p); }});
}

}  // namespace dmde::driver
