// `dmde monitor`: results of closed controls per period and control type, test versus control
// group (note section 9).
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdio>

#include "core/atomic.hpp"
#include "driver/command.hpp"
#include "worker/controls.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde monitor`.
struct MonitorParams {
  std::string controls;              ///< closed controls CSV (format in worker/controls.hpp)
  std::vector<std::string> periods;  ///< FROM:TO periods; none = all controls
  double level = 0.95;               ///< confidence level of the intervals
  std::string csv;                   ///< tables as CSV
  std::string json;                  ///< tables as JSON

  void validate() const {
    if (controls.empty()) throw InputError("a controls file is required (--controls)");
    if (!(level > 0.5 && level < 1)) throw InputError("--level must be in (0.5, 1)");
    for (const auto& s : periods) worker::parse_period(s);
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & controls & periods & level & csv & json;
  }
};

int run_monitor(Comm& comm, MonitorParams& p) {
  share_params(comm, p);
  // A few hundred thousand controls at most: rank 0 works.
  root_check(comm, [&] {
    const worker::Controls c = worker::read_controls_csv(p.controls);
    std::vector<worker::Period> periods;
    for (const auto& s : p.periods) periods.push_back(worker::parse_period(s));
    if (periods.empty()) periods.push_back(worker::Period{"all"});
    const auto rep = worker::monitor_report(c, periods, p.level);
    std::fputs(rep.text.c_str(), stdout);
    std::fflush(stdout);
    if (!p.csv.empty()) write_file_atomic(p.csv, rep.csv);
    if (!p.json.empty()) write_file_atomic(p.json, rep.json);
    spdlog::info("monitored {} controls over {} period(s)", c.size(), periods.size());
  });
  return 0;
}

}  // namespace

void add_monitor_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<MonitorParams>();
  auto* sub = app.add_subcommand("monitor", "Closed controls: test vs control group tables (note section 9)");
  sub->add_option("--controls", p->controls, "Closed controls CSV")->required();
  sub->add_option("--period", p->periods, "Period FROM:TO (launched from FROM, closed in [FROM, TO]); repeatable");
  sub->add_option("--level", p->level, "Confidence level")->capture_default_str();
  sub->add_option("--csv", p->csv, "Tables as CSV");
  sub->add_option("--json", p->json, "Tables as JSON");
  out.push_back({sub, [p](Comm& comm) { return run_monitor(comm, *p); }});
}

}  // namespace dmde::driver
