// `dmde generate learning|population`: seeded synthetic tables, bit-identical at any rank count
// (every value is a function of (seed, row, variable); see worker/generator.hpp).
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/generator.hpp"
#include "worker/partition.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde generate learning` and `dmde generate population`.
struct GenerateParams {
  bool learning = true;            ///< learning table (outcomes, survey weights) or population
  std::string output;              ///< output HDF5 table
  std::int64_t rows = 14087;       ///< number of dossiers
  int vars = 1700;                 ///< number of variables (a prefix of the 4,360-variable catalogue)
  std::uint64_t seed = 20190201;   ///< generator seed
  std::string truth;               ///< learning: truth JSON (default <output>.truth.json)
  std::string select;              ///< population: file of variable names (one a line): only those columns
  std::int64_t chunk_rows = 65536; ///< rows per file chunk; blocks of 1-4 chunks are generated at a time (bounds memory per rank)
  int threads = 0;                 ///< generating threads per rank (0: the rank's CPUs shared by the ranks on them)
  bool direct_io = true;           ///< write the data with O_DIRECT, bypassing the page cache (see core/chunk_writer.hpp)
  std::vector<std::string> selected;  ///< filled by validate() from `select`

  void validate() {
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (rows < 1) throw InputError("--rows must be positive");
    if (vars < worker::core_var_count() || vars > worker::kMaxVars)
      throw InputError("--vars must be between " + std::to_string(worker::core_var_count()) +
                       " (the variables of the true model) and " + std::to_string(worker::kMaxVars));
    if (chunk_rows < 1) throw InputError("--chunk-rows must be positive");
    if (threads < 0 || threads > 64) throw InputError("--threads must be between 0 (automatic) and 64");
    if (learning && truth.empty()) truth = output + ".truth.json";
    selected.clear();
    if (!select.empty()) {
      std::ifstream in(select);
      if (!in) throw InputError("cannot read --select file " + select);
      const auto cat = worker::build_catalogue(seed, vars);
      std::string line;
      int lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        bool found = false;
        for (const auto& g : cat) found = found || g.info.name == line;
        if (!found)
          throw InputError(select + ":" + std::to_string(lineno) + ": unknown variable '" + line + "' (not among the first " +
                           std::to_string(vars) + " generated variables)");
        selected.push_back(line);
      }
      if (selected.empty()) throw InputError("--select file " + select + " names no variable");
    }
    // The defaults (13.8 M dossiers x 1,700 float32 variables, ~94 GB) can exceed the disk: refuse
    // up front rather than fail hours later with a partial file.
    const double cols = selected.empty() ? vars : static_cast<double>(selected.size());
    const double need = static_cast<double>(rows) * (cols * (learning ? 8.0 : 4.0) + 64.0);
    std::error_code ec;
    const auto dir = std::filesystem::absolute(output).parent_path();
    const auto space = std::filesystem::space(dir, ec);
    if (!ec && need > static_cast<double>(space.available))
      throw InputError(fmt::format("the output needs about {:.1f} GB ({} rows x {} variables) but {} has {:.1f} GB free; "
                                   "use --vars or --select for the model's variables",
                                   need / 1e9, rows, static_cast<long long>(cols), dir.string(),
                                   static_cast<double>(space.available) / 1e9));
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & learning & output & rows & vars & seed & truth & select & chunk_rows & threads & direct_io & selected;
  }
};

int run_generate(Comm& comm, GenerateParams& p) {
  share_params(comm, p);
  const auto t0 = std::chrono::steady_clock::now();
  worker::GenerateSpec spec{p.learning, p.output, p.rows, p.vars, p.seed, p.selected, p.chunk_rows, p.threads, p.direct_io};
  const auto gen = worker::write_generated(comm, spec);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto cols = p.selected.empty() ? static_cast<std::size_t>(p.vars) : p.selected.size();
  spdlog::info("generated {} {} rows x {} variables in {:.2f} s ({:.0f} rows/s) -> {}", p.rows,
               p.learning ? "learning" : "population", cols, secs, static_cast<double>(p.rows) / secs, p.output);
  if (p.learning && comm.is_root()) {
    const std::string report = worker::truth_report(gen, spec);
    write_file_atomic(p.truth, report + "\n");
    const auto j = nlohmann::json::parse(report);
    spdlog::info("truth: {} effects, weighted target rate {:.4f}, true-model AUC {:.4f} -> {}", j["effects"].size(),
                 j["table_target_rate_weighted"].get<double>(), j["table_true_model_auc"].get<double>(), p.truth);
  }
  return 0;
}

CLI::App* generate_group(CLI::App& app) {
  auto found = app.get_subcommands([](const CLI::App* a) { return a->get_name() == "generate"; });
  if (!found.empty()) return found.front();
  auto* g = app.add_subcommand("generate", "Seeded synthetic data: learning table, population, ...");
  g->require_subcommand(1);
  return g;
}

void common_options(CLI::App* sub, GenerateParams& p) {
  sub->add_option("-o,--output", p.output, "Output HDF5 table")->required();
  sub->add_option("--rows", p.rows, "Number of dossiers")->capture_default_str();
  sub->add_option("--vars", p.vars, "Number of variables (prefix of the 4,360-variable catalogue)")->capture_default_str();
  sub->add_option("--seed", p.seed, "Generator seed")->capture_default_str();
  sub->add_option("--chunk-rows", p.chunk_rows, "Rows per file chunk (blocks of up to 4 chunks, 128 MB, are generated at a time)")
      ->capture_default_str();
  sub->add_option("--threads", p.threads, "Generating threads per rank beside the writing one (0: automatic)")
      ->capture_default_str();
  sub->add_flag("--direct-io,!--no-direct-io", p.direct_io,
                "Write the data with O_DIRECT, bypassing the page cache (default on; off: ordinary buffered writes)");
}

}  // namespace

void add_generate_command(CLI::App& app, Commands& out) {
  auto* group = generate_group(app);
  auto lp = std::make_shared<GenerateParams>();
  auto* learn = group->add_subcommand("learning", "Synthetic learning table: controlled dossiers with survey weights, "
                                                  "outcomes and a hidden true model (written to --truth)");
  common_options(learn, *lp);
  learn->add_option("--truth", lp->truth, "Truth JSON (default <output>.truth.json)");
  out.push_back({learn, [lp](Comm& comm) { return run_generate(comm, *lp); }});

  auto pp = std::make_shared<GenerateParams>();
  pp->learning = false;
  pp->rows = 13'800'000;
  auto* pop = group->add_subcommand("population", "Synthetic national population (float32 columns, rows ordered by Caf)");
  common_options(pop, *pp);
  pop->add_option("--select", pp->select, "File of variable names, one a line: write only those columns");
  out.push_back({pop, [pp](Comm& comm) { return run_generate(comm, *pp); }});
}

}  // namespace dmde::driver
