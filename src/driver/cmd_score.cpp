// `dmde score`: nightly national scoring of a population with a trained model (technical note,
// section 8), sharded by Caf over the MPI ranks; and the hidden `dmde score-fixture` that makes a
// synthetic population and model for the scoring benchmark.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/atomic.hpp"
#include "core/serialize.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/partition.hpp"
#include "worker/score.hpp"
#include "worker/score_fixture.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde score`.
struct ScoreParams {
  std::string model;             ///< scoring model file
  std::string population;        ///< population table (HDF5, dmde table format)
  std::string output;            ///< scores file (HDF5), written atomically
  double top_percent = 5.0;      ///< flag the top k% of each Caf
  std::int64_t chunk_rows = 65536;  ///< rows read per chunk (memory: chunk x inputs x 8 bytes)
  bool collective = false;       ///< per-dossier blocks in MPI-IO collective rounds (see ScoreOptions)
  int threads = 0;               ///< threads per rank, 1 or 2 (0: 2 when each rank can have two cores)
  bool no_raw_read = false;      ///< read every input through HDF5 (no pread of raw chunks)
  bool direct_io = true;         ///< write the results with O_DIRECT from a writer thread (core/direct_writer.hpp)
  std::string learning;          ///< learning table: reference distributions for drift (PSI)

  void validate() const {
    if (!std::filesystem::is_regular_file(model)) throw InputError("model file '" + model + "' not found");
    if (!std::filesystem::is_regular_file(population)) throw InputError("population file '" + population + "' not found");
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (!learning.empty() && !std::filesystem::is_regular_file(learning))
      throw InputError("learning table '" + learning + "' not found");
    if (!(top_percent > 0 && top_percent <= 100)) throw InputError("--top must be in (0, 100]");
    if (chunk_rows < 1024 || chunk_rows > (1 << 24)) throw InputError("--chunk-rows must be in [1024, 16777216]");
    if (threads < 0 || threads > 2) throw InputError("--threads must be 0 (automatic), 1 or 2");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & model & population & output & top_percent & chunk_rows & collective & learning & threads & no_raw_read & direct_io;
  }
};

int run_score(Comm& comm, ScoreParams& p) {
  share_params(comm, p);
  const auto t0 = std::chrono::steady_clock::now();
  std::string bytes;
  root_check(comm, [&] {
    auto model = worker::load_score_model(p.model);
    if (!p.learning.empty()) worker::attach_learning_distribution(model, p.learning);
    bytes = to_bytes(model);
  });
  comm.bcast(bytes);
  worker::ScoreModel m;
  from_bytes(bytes, m);
  worker::ScoreOptions opt;
  opt.top_percent = p.top_percent;
  opt.chunk_rows = p.chunk_rows;
  opt.collective_writes = p.collective;
  opt.threads = p.threads;
  opt.raw_inputs = !p.no_raw_read;
  opt.direct_io = p.direct_io;
  opt.population_label = std::filesystem::path(p.population).filename().string();
  worker::ScoreResult r;
  try {
    r = worker::score_population(comm, m, p.population, p.output, opt);
  } catch (const InputError& e) {
    // score_population throws its input errors on every rank at once (after a collective
    // decision), so every rank can return cleanly: no abort racing rank 0's cleanup of the output.
    throw SharedInputError(e.what());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("scored {} dossiers in {} Cafs in {:.2f} s ({:.0f} dossiers/s on {} rank(s)); {} flagged; score PSI {:.4f}",
               r.rows, r.cafs, s, static_cast<double>(r.rows) / s, comm.size(), r.flagged, r.score_psi);
  if (r.max_psi_level >= 2) spdlog::warn("major drift (PSI >= 0.25) on the score or a model input: see /drift");
  spdlog::info("wrote {}", p.output);
  return 0;
}

/// Parameters of the hidden `dmde score-fixture` (benchmark inputs).
struct FixtureParams {
  std::string population;      ///< population to read (or create with --make-population)
  std::string output;          ///< scoring model to write
  std::int64_t make_rows = 0;  ///< > 0: first write a synthetic population of this many rows
  int cafs = 101;              ///< Cafs of the synthetic population
  int vars = 100;              ///< variables of the synthetic population
  int inputs = 100;            ///< model inputs (the first variables)
  std::uint64_t seed = 1;      ///< seed of the synthetic data and contributions
  std::string json;            ///< also write the model as JSON here (for the numpy peer)
  bool time_read = false;      ///< instead: time reading the model's input columns (benchmark baseline)

  void validate() const {
    if (population.empty() || output.empty()) throw InputError("--population and -o are required");
    if (make_rows < 0 || cafs < 1 || vars < 1 || inputs < 1) throw InputError("sizes must be positive");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & population & output & make_rows & cafs & vars & inputs & seed & json & time_read;
  }
};

/// The benchmark's baseline: every rank reads its block of rows of the model's input columns, in
/// the chunks `dmde score` uses, and nothing else.
int time_read(Comm& comm, const FixtureParams& p) {
  const auto m = worker::load_score_model(p.output);
  comm.barrier();
  const auto t0 = std::chrono::steady_clock::now();
  TableReader pop(p.population, &comm);
  const auto rg = worker::block_range(pop.schema().n_rows, comm.rank(), comm.size());
  constexpr std::int64_t kChunk = 65536;
  std::vector<float> buf(kChunk);
  double sink = 0;
  for (std::int64_t off = rg.begin; off < rg.end; off += kChunk) {
    const auto n = std::min(kChunk, rg.end - off);
    for (const auto& c : m.coding) {
      pop.read_var(c.variable, off, n, buf.data());
      sink += buf[0];
    }
  }
  comm.barrier();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("read {} input columns of {} rows in {:.3f} s (checksum {})", m.coding.size(), pop.schema().n_rows, s,
               sink != 0 ? 1 : 0);
  if (comm.is_root()) std::printf("read_seconds %.4f\n", s);
  return 0;
}

int run_fixture(Comm& comm, FixtureParams& p) {
  share_params(comm, p);
  if (p.time_read) return time_read(comm, p);
  if (p.make_rows > 0) worker::write_synthetic_population(comm, p.population, p.make_rows, p.cafs, p.vars, p.seed);
  root_check(comm, [&] {
    const auto m = worker::synthetic_score_model(p.population, p.inputs, p.seed);
    worker::save_score_model(p.output, m);
    if (!p.json.empty()) write_file_atomic(p.json, worker::score_model_json(m));
  });
  return 0;
}

}  // namespace

void add_score_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<ScoreParams>();
  auto* sub = app.add_subcommand("score", "Score a population with a trained model, sharded by Caf over the ranks");
  sub->add_option("--model", p->model, "Model file")->required();
  sub->add_option("--population", p->population, "Population table (HDF5)")->required();
  sub->add_option("-o,--output", p->output, "Scores file (HDF5; appears only when complete)")->required();
  sub->add_option("--top", p->top_percent, "Flag the top k% of each Caf")->capture_default_str();
  sub->add_option("--chunk-rows", p->chunk_rows, "Rows read per chunk")->capture_default_str();
  sub->add_option("--learning", p->learning,
                  "Learning table: reference class and score distributions for drift (PSI); default: the model's");
  sub->add_flag("--collective", p->collective,
                "Write per-dossier results with MPI-IO collective calls (parallel file systems; same result)");
  sub->add_option("--threads", p->threads,
                  "Threads per rank: 1, or 2 to overlap HDF5 reads/writes with scoring (same result); "
                  "0: 2 when each rank can have two cores")
      ->capture_default_str();
  sub->add_flag("--no-raw-read", p->no_raw_read,
                "Read every input through HDF5 instead of a plain pread of its unfiltered float32 or int16 "
                "chunks (same result)");
  sub->add_flag("--direct-io,!--no-direct-io", p->direct_io,
                "Write the results with O_DIRECT from a writer thread, bypassing the page cache, where the file "
                "system allows it; --no-direct-io writes everything through HDF5 (same result)")
      ->capture_default_str();
  out.push_back({sub, [p](Comm& comm) { return run_score(comm, *p); }});

  auto f = std::make_shared<FixtureParams>();
  auto* fx = app.add_subcommand("score-fixture", "Synthetic population and scoring model for benchmarks");
  fx->group("");  // hidden: benchmark tooling
  fx->add_option("--population", f->population, "Population table to read or create")->required();
  fx->add_option("-o,--output", f->output, "Scoring model to write")->required();
  fx->add_option("--make-population", f->make_rows, "First write a synthetic population of this many rows");
  fx->add_option("--cafs", f->cafs, "Cafs of the synthetic population")->capture_default_str();
  fx->add_option("--vars", f->vars, "Variables of the synthetic population")->capture_default_str();
  fx->add_option("--inputs", f->inputs, "Model inputs")->capture_default_str();
  fx->add_option("--seed", f->seed, "Seed")->capture_default_str();
  fx->add_option("--json", f->json, "Also write the model as JSON");
  fx->add_flag("--time-read", f->time_read, "Only time reading the model's input columns (-o names the model)");
  out.push_back({fx, [f](Comm& comm) { return run_fixture(comm, *f); }});
}

}  // namespace dmde::driver
