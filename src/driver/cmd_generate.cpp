// `dmde generate learning|population`: seeded synthetic tables, bit-identical at any rank count
// (every value is a function of (seed, row, variable); see worker/generator.hpp).
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
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
  std::int64_t chunk_rows = 65536; ///< rows generated and written per block (bounds memory per rank)
  std::vector<std::string> selected;  ///< filled by validate() from `select`

  void validate() {
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (rows < 1) throw InputError("--rows must be positive");
    if (vars < worker::core_var_count() || vars > worker::kMaxVars)
      throw InputError("--vars must be between " + std::to_string(worker::core_var_count()) +
                       " (the variables of the true model) and " + std::to_string(worker::kMaxVars));
    if (chunk_rows < 1) throw InputError("--chunk-rows must be positive");
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
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & learning & output & rows & vars & seed & truth & select & chunk_rows & selected;
  }
};

std::string caf_meta() {
  std::string s;
  for (const auto& c : worker::caf_catalogue()) s += (s.empty() ? "" : ";") + std::to_string(c.code) + ":" + c.name;
  return s;
}

int run_generate(Comm& comm, GenerateParams& p) {
  share_params(comm, p);
  const auto t0 = std::chrono::steady_clock::now();
  const worker::Generator gen(p.seed, p.learning ? worker::Domain::Learning : worker::Domain::Population, p.rows, p.vars);
  const auto& cat = gen.catalogue();
  std::vector<int> cols;
  for (int j = 0; j < static_cast<int>(cat.size()); ++j)
    if (p.selected.empty() ||
        std::find(p.selected.begin(), p.selected.end(), cat[static_cast<std::size_t>(j)].info.name) != p.selected.end())
      cols.push_back(j);
  TableSchema s;
  s.kind = p.learning ? "learning" : "population";
  s.n_rows = p.rows;
  for (int j : cols) s.vars.push_back(cat[static_cast<std::size_t>(j)].info);
  if (p.learning) s.outcomes = worker::Generator::outcome_names();
  s.meta = {{"generator", "dmde generate " + s.kind},
            {"generator_seed", std::to_string(p.seed)},
            {"generator_vars", std::to_string(p.vars)},
            {"cafs", caf_meta()}};
  WriteOptions wopt;
  wopt.numeric_float32 = !p.learning;
  wopt.chunk_rows = static_cast<hsize_t>(std::min<std::int64_t>(p.chunk_rows, p.rows));
  TableWriter w(comm, p.output, s, wopt);
  const auto mine = worker::block_range(p.rows, comm.rank(), comm.size());
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd weight;
  Eigen::MatrixXf X;
  Eigen::MatrixXd out;
  for (std::int64_t b = mine.begin; b < mine.end; b += p.chunk_rows) {
    const std::int64_t e = std::min(mine.end, b + p.chunk_rows);
    gen.fill_keys(b, e, id, caf, weight);
    gen.fill(b, e, cols, X);
    if (p.learning) gen.fill_outcomes(b, e, out);
    else out.resize(e - b, 0);
    w.write_rows(b, id, caf, weight, out, X);
  }
  w.commit();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("generated {} {} rows x {} variables in {:.2f} s ({:.0f} rows/s) -> {}", p.rows, s.kind, cols.size(), secs,
               static_cast<double>(p.rows) / secs, p.output);
  if (p.learning && comm.is_root()) {
    // The truth and what it gives on this table (a small table: rank 0 recomputes it).
    const auto& truth = gen.truth();
    const auto tv = truth.variables();
    std::vector<int> tc;
    for (const auto& v : tv)
      for (int j = 0; j < worker::core_var_count(); ++j)
        if (cat[static_cast<std::size_t>(j)].info.name == v) tc.push_back(j);
    Eigen::MatrixXf T;
    Eigen::MatrixXd o;
    gen.fill(0, p.rows, tc, T);
    gen.fill_outcomes(0, p.rows, o);
    gen.fill_keys(0, p.rows, id, caf, weight);
    const Eigen::VectorXd eta = truth.eta(T, tv);
    const Eigen::VectorXd y = o.col(5);
    const double rate = weight.dot(y) / weight.sum();
    nlohmann::json extra = {{"seed", p.seed},
                            {"table", p.output},
                            {"rows", p.rows},
                            {"target", "target_c4 = overpayment_amount > 600 and overpayment_months > 6"},
                            {"table_target_rate_weighted", rate},
                            {"table_target_rate", y.mean()},
                            {"table_true_model_auc", worker::rank_auc(eta, y)}};
    write_file_atomic(p.truth, truth.to_json(extra.dump()) + "\n");
    spdlog::info("truth: {} effects, weighted target rate {:.4f}, true-model AUC {:.4f} -> {}", truth.effects.size(), rate,
                 extra["table_true_model_auc"].get<double>(), p.truth);
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
  sub->add_option("--chunk-rows", p.chunk_rows, "Rows generated and written per block")->capture_default_str();
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
