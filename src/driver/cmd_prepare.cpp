// `dmde prepare`: data management (section 5 of the technical note) of a learning table: the
// prepared candidates (class variables), the preprocessing spec and the report.
#include <spdlog/spdlog.h>

#include <boost/serialization/vector.hpp>
#include <algorithm>
#include <cstdio>

#include "core/atomic.hpp"
#include "core/h5.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/prepare.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde prepare`.
struct PrepareParams {
  std::string table;                  ///< input learning table (dmde HDF5)
  std::string target;                 ///< 0/1 outcome column the supervised steps use
  std::string output;                 ///< prepared table (dmde HDF5, kind "prepared", spec in /prep_spec)
  std::string spec;                   ///< side file for the serialized spec (default: output stem + ".spec")
  std::string report;                 ///< report stem: <report>.csv and <report>.json (default: output stem + ".report")
  std::string weights = "normalized"; ///< weight mode for the statistics: normalized, frequency, none
  model::PrepOptions opt;             ///< thresholds (defaults in model/prep_rules.hpp)

  static std::string stem(const std::string& p) {
    const auto dot = p.rfind('.');
    const auto slash = p.rfind('/');
    return dot == std::string::npos || (slash != std::string::npos && dot < slash) ? p : p.substr(0, dot);
  }
  void validate() {
    if (table.empty()) throw InputError("an input table is required (--table)");
    if (target.empty()) throw InputError("a target outcome is required (--target)");
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (spec.empty()) spec = stem(output) + ".spec";
    if (report.empty()) report = stem(output) + ".report";
    try {
      opt.validate();
      (void)model::weight_mode_from_string(weights);
    } catch (const std::invalid_argument& e) {
      throw InputError(std::string("prepare: ") + e.what());
    }
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & table & target & output & spec & report & weights & opt;
  }
};

/// Writes the prepared table with the serialized spec inside (/prep_spec, uint8), atomically.
void write_prepared(const std::string& path, const Table& t, const std::string& spec_bytes) {
  AtomicPath out(path);
  write_table(out.temp(), t);
  {
    auto f = h5::File::open(out.temp(), true);
    auto d = f.create_dataset<std::uint8_t>("prep_spec", spec_bytes.size());
    d.write(reinterpret_cast<const std::uint8_t*>(spec_bytes.data()), 0, spec_bytes.size());
    d.set_attr("format", std::string("boost-binary dmde::model::PrepSpec"));
    d.set_attr("version", static_cast<std::int64_t>(model::PrepSpec::kVersion));
  }
  out.commit();
}

int run_prepare(Comm& comm, PrepareParams& p) {
  share_params(comm, p);
  root_check(comm, [&] {
    const auto s = read_schema(p.table);
    if (std::find(s.outcomes.begin(), s.outcomes.end(), p.target) == s.outcomes.end())
      throw InputError("target '" + p.target + "' is not an outcome of '" + p.table + "'");
  });
  // ~14k rows: every rank holds the whole table; the work is split by variable and by pair block.
  const Table t = read_table(p.table);
  auto res = worker::prepare(comm, t, p.target, p.opt, model::weight_mode_from_string(p.weights));
  res.spec.source_table = p.table;
  spdlog::info("prepare: screening {:.2f} s, association {:.2f} s ({} pairs of {} candidates, {} ranks), "
               "clustering {:.2f} s",
               res.seconds_screen, res.seconds_association, res.pairs, res.candidates.size(), comm.size(),
               res.seconds_cluster);
  if (comm.is_root()) {
    model::UnseenCounts unseen;
    const Table prepared = worker::apply_spec(res.spec, t, &unseen);
    const std::string bytes = to_bytes(res.spec);
    write_prepared(p.output, prepared, bytes);
    write_file_atomic(p.spec, bytes);
    write_file_atomic(p.report + ".csv", worker::report_csv(res.report));
    write_file_atomic(p.report + ".json", worker::report_json(res, p.opt));
    std::fputs(worker::report_console(res).c_str(), stdout);
    std::fflush(stdout);
    spdlog::info("prepared {} of {} variables -> {} (spec {}, report {}.csv/.json)", res.spec.vars.size(),
                 res.report.size(), p.output, p.spec, p.report);
  }
  comm.barrier();
  return 0;
}

}  // namespace

void add_prepare_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<PrepareParams>();
  auto& o = p->opt;
  auto* sub = app.add_subcommand("prepare", "Data management: screening, recoding, discretization, correlation "
                                            "clustering; writes the prepared table, the spec and a report");
  sub->add_option("--table", p->table, "Learning table (dmde HDF5)")->required();
  sub->add_option("--target", p->target, "0/1 target outcome column")->required();
  sub->add_option("-o,--output", p->output, "Prepared table (HDF5)")->required();
  sub->add_option("--spec", p->spec, "Spec side file (default: <output stem>.spec)");
  sub->add_option("--report", p->report, "Report stem (default: <output stem>.report -> .csv, .json)");
  sub->add_option("--weights", p->weights, "Weights in statistics: normalized, frequency, none")->capture_default_str();
  sub->add_option("--min-observed", o.min_observed, "Min weighted share of observed values")->capture_default_str();
  sub->add_option("--max-mode-share", o.max_mode_share, "Max weighted share of the commonest value")->capture_default_str();
  sub->add_option("--prebins", o.prebins, "Numeric quantile pre-bins")->capture_default_str();
  sub->add_option("--max-classes", o.max_classes, "Max classes per variable (missing apart)")->capture_default_str();
  sub->add_option("--min-class-share", o.min_class_share, "Min weighted share per class")->capture_default_str();
  sub->add_option("--merge-pvalue", o.merge_pvalue, "Merge adjacent classes while their chi-square p-value exceeds this")
      ->capture_default_str();
  sub->add_flag("--monotone", o.monotone, "Force a monotone target rate over numeric classes");
  sub->add_option("--rare-level-share", o.rare_level_share, "Pool categorical levels below this share")->capture_default_str();
  sub->add_option("--max-pvalue", o.max_pvalue, "Drop when the adjusted target chi-square p-value exceeds this")
      ->capture_default_str();
  sub->add_option("--min-iv", o.min_iv, "Drop when the information value is below this")->capture_default_str();
  sub->add_option("--strong-pvalue", o.strong_pvalue, "Keep despite a low IV when the adjusted p-value is below this")
      ->capture_default_str();
  sub->add_option("--cluster-threshold", o.cluster_threshold, "Cut height on 1 - association (average linkage)")
      ->capture_default_str();
  out.push_back({sub, [p](Comm& comm) { return run_prepare(comm, *p); }});
}

}  // namespace dmde::driver
