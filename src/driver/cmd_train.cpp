// `dmde train`: bootstrap selection -> interaction search -> validation -> final model artifact.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "core/atomic.hpp"
#include "core/h5.hpp"
#include "core/table.hpp"
#include "model/prep_spec.hpp"
#include "driver/command.hpp"
#include "driver/train.hpp"
#include "worker/artifact_io.hpp"
#include "worker/bootstrap_stage.hpp"
#include "worker/checkpoint.hpp"
#include "worker/final_model.hpp"
#include "worker/interactions.hpp"
#include "worker/validation.hpp"

namespace dmde::driver {
namespace {

bool runs(const TrainParams& p, const char* stage) { return p.stage == "all" || p.stage == stage; }

nlohmann::json params_json(const TrainParams& p) {
  return {{"table", p.table}, {"target", p.target}, {"vars", p.vars}, {"replicates", p.replicates},
          {"seed", p.seed}, {"stratify", p.stratify}, {"threshold", p.threshold}, {"slentry", p.slentry},
          {"slstay", p.slstay}, {"max_steps", p.max_steps}, {"interactions", p.interactions},
          {"inter_alpha", p.inter_alpha}, {"inter_min_gain", p.inter_min_gain}, {"folds", p.folds},
          {"cv_repeats", p.cv_repeats}, {"optimism_b", p.optimism_b}, {"top_share", p.top_share}};
}

std::string utc_now() {
  char b[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

/// The preprocessing spec restricted to the model inputs, serialized: from --prep-spec, else the
/// prepared table's /prep_spec (written by `dmde prepare`); empty when neither exists.
std::string model_spec_bytes(const TrainParams& p, const std::vector<std::string>& inputs) {
  std::string bytes;
  if (!p.prep_spec.empty()) {
    bytes = read_file(p.prep_spec);
  } else {
    auto f = h5::File::open(p.table);
    if (!f.exists("prep_spec")) return {};
    const auto v = f.dataset("prep_spec").read_all<std::uint8_t>();
    bytes.assign(v.begin(), v.end());
  }
  model::PrepSpec spec, mine;
  from_bytes(bytes, spec);
  mine = spec;
  mine.vars.clear();
  for (const auto& name : inputs) {
    const int k = spec.find(name);
    if (k < 0) throw InputError("the preprocessing spec has no transform for model input '" + name + "'");
    mine.vars.push_back(spec.vars[static_cast<std::size_t>(k)]);
  }
  return to_bytes(mine);
}

std::vector<int> indices_of(const worker::ClassData& d, const std::vector<std::string>& names, const std::string& file) {
  std::vector<int> out;
  for (const auto& n : names) {
    const auto it = std::find(d.names.begin(), d.names.end(), n);
    if (it == d.names.end()) throw InputError("variable '" + n + "' of '" + file + "' is not a candidate of this table");
    out.push_back(static_cast<int>(it - d.names.begin()));
  }
  return out;
}

}  // namespace

void TrainParams::validate() const {
  if (table.empty()) throw InputError("--table is required");
  if (!std::filesystem::exists(table)) throw InputError("--table '" + table + "' does not exist");
  if (output.empty()) throw InputError("-o/--output is required");
  static const std::vector<std::string> stages{"all", "bootstrap", "interactions", "validate", "final"};
  if (std::find(stages.begin(), stages.end(), stage) == stages.end())
    throw InputError("--stage must be all, bootstrap, interactions, validate or final");
  if (replicates < 1) throw InputError("--replicates must be >= 1");
  if (!(threshold > 0 && threshold <= 1)) throw InputError("--threshold must be in (0, 1]");
  if (!(slentry > 0 && slentry < 1) || !(slstay > 0 && slstay < 1)) throw InputError("--slentry/--slstay must be in (0, 1)");
  if (folds < 2) throw InputError("--folds must be >= 2");
  if (cv_repeats < 1 || optimism_b < 0 || ci_b < 0) throw InputError("--cv-repeats >= 1, --optimism-b and --ci-b >= 0");
  if (!(top_share > 0 && top_share < 1)) throw InputError("--top-share must be in (0, 1)");
  if (!(inter_alpha > 0 && inter_alpha < 1)) throw InputError("--inter-alpha must be in (0, 1)");
  if (prefetch < 1) throw InputError("--prefetch must be >= 1");
  if (!prep_spec.empty() && !std::filesystem::exists(prep_spec)) throw InputError("--prep-spec '" + prep_spec + "' does not exist");
  if (stage != "all" && stage != "bootstrap" && !std::filesystem::exists(output + ".bootstrap.h5"))
    throw InputError("--stage " + stage + " needs the bootstrap output '" + output + ".bootstrap.h5' (run --stage bootstrap)");
}

int run_train(Comm& comm, TrainParams& p) {
  share_params(comm, p);
  Table t;
  root_check(comm, [&] {
    const auto s = read_schema(p.table);
    if (std::find(s.outcomes.begin(), s.outcomes.end(), p.target) == s.outcomes.end())
      throw InputError("'" + p.table + "' has no outcome column '" + p.target + "' (--target)");
    for (const auto& v : p.vars) s.require(v, p.table);
  });
  t = read_table(p.table);  // every rank: the learning table is small (~14k rows)
  worker::ClassData d = worker::make_class_data(t, p.target, p.vars);
  worker::StepwiseOptions sw;
  sw.slentry = p.slentry;
  sw.slstay = p.slstay;
  sw.max_steps = p.max_steps;
  const std::string fingerprint = worker::table_fingerprint(t);
  if (comm.is_root())
    spdlog::info("train: {} rows, {} candidate variables, target '{}' ({:.1f}% weighted), stage {}, {} ranks", d.rows(),
                 d.vars(), p.target, 100 * d.w.dot(d.y) / d.w.sum(), p.stage, comm.size());

  std::vector<int> kept;
  const std::string boot_path = p.output + ".bootstrap.h5";
  if (runs(p, "bootstrap")) {
    worker::BootstrapStageOptions bo;
    bo.replicates = p.replicates;
    bo.seed = p.seed;
    bo.stratify = p.stratify;
    bo.threshold = p.threshold;
    bo.resume = p.resume;
    bo.stop_after = p.stop_after;
    bo.prefetch = p.prefetch;
    bo.progress = p.progress;
    nlohmann::json key = {{"data", fingerprint}, {"target", p.target}, {"vars", d.names}, {"seed", p.seed},
                          {"stratify", p.stratify}, {"slentry", p.slentry}, {"slstay", p.slstay}, {"max_steps", p.max_steps}};
    bo.job_key = key.dump();
    // A checkpoint of another job is refused on every rank at once (clean exit code 2).
    if (p.resume) root_check(comm, [&] { worker::Checkpoint(boot_path + ".ckpt", bo.job_key, true); });
    const auto res = worker::run_bootstrap_stage(comm, d, sw, bo, boot_path, boot_path + ".ckpt");
    if (!res.complete) {
      if (comm.is_root()) spdlog::warn("train: stopped after {} replicates (--stop-after); rerun with --resume", res.computed);
      return 0;
    }
    kept = res.summary.kept;
    if (comm.is_root()) {
      std::string names;
      for (int j : kept) names += " " + d.names[static_cast<std::size_t>(j)];
      spdlog::info("bootstrap: {} variables kept (selected in >= {:.0f}% of {} replicates):{}", kept.size(),
                   100 * p.threshold, p.replicates, names);
    }
    if (p.stage == "bootstrap") return 0;
  } else {
    std::string bytes;
    root_check(comm, [&] { bytes = to_bytes(indices_of(d, worker::read_kept(boot_path), boot_path)); });
    comm.bcast(bytes);
    from_bytes(bytes, kept);
  }

  const std::string inter_path = p.output + ".interactions.h5";
  std::vector<int> effects = kept;
  if (p.stage == "interactions" || (p.stage == "all" && p.interactions)) {
    worker::InteractionOptions io{p.inter_alpha, p.inter_min_gain, p.folds, p.seed, p.prefetch, p.progress};
    const auto rep = worker::search_interactions(comm, d, kept, io, sw);
    if (comm.is_root()) {
      worker::write_interactions(inter_path, rep, d);
      spdlog::info("interactions: {} pairs tested, CV AUC {:.4f} -> {:.4f}", rep.pairs.size(), rep.base_cv_auc, rep.final_cv_auc);
    }
    for (const auto& pt : rep.pairs)
      if (pt.added) effects.push_back(worker::add_interaction(d, pt.a, pt.b));
    if (p.stage == "interactions") return 0;
  } else if (std::filesystem::exists(inter_path)) {
    std::string bytes;
    root_check(comm, [&] {
      std::vector<int> ab;
      for (const auto& [a, b] : worker::read_added_interactions(inter_path)) {
        const auto ix = indices_of(d, {a, b}, inter_path);
        ab.insert(ab.end(), ix.begin(), ix.end());
      }
      bytes = to_bytes(ab);
    });
    comm.bcast(bytes);
    std::vector<int> ab;
    from_bytes(bytes, ab);
    for (std::size_t k = 0; k + 1 < ab.size(); k += 2) effects.push_back(worker::add_interaction(d, ab[k], ab[k + 1]));
  }
  std::vector<std::string> effect_names;
  for (int e : effects) effect_names.push_back(d.names[static_cast<std::size_t>(e)]);

  worker::ValidationReport vrep;
  const bool validated = runs(p, "validate");
  if (validated) {
    worker::ValidationOptions vo;
    vo.folds = p.folds;
    vo.repeats = p.cv_repeats;
    vo.optimism_b = p.optimism_b;
    vo.ci_b = p.ci_b;
    vo.top_share = p.top_share;
    vo.seed = p.seed;
    vo.prefetch = p.prefetch;
    vo.progress = p.progress;
    vrep = worker::validate_model(comm, d, effects, vo, sw);
    if (comm.is_root()) {
      worker::write_validation(p.output + ".validation.h5", vrep, vo, effect_names);
      const auto& names = worker::Metrics::names();
      const auto m = vrep.mean.values(), lo = vrep.lo.values(), hi = vrep.hi.values();
      spdlog::info("validation ({}x{}-fold CV of the final model's effect set):", p.cv_repeats, p.folds);
      for (std::size_t k = 0; k < names.size(); ++k) spdlog::info("  {:<16} {:.4f}  [{:.4f}, {:.4f}]", names[k], m[k], lo[k], hi[k]);
      spdlog::info("  bootstrap optimism (B={}): apparent AUC {:.4f}, optimism {:.4f}, corrected {:.4f}", vrep.optimism_b,
                   vrep.apparent_auc, vrep.optimism, vrep.corrected_auc);
    }
    if (p.stage == "validate") return 0;
  }

  if (runs(p, "final") && comm.is_root()) {
    auto a = worker::build_final_model(d, effects, p.target, sw);
    a.prep_spec = model_spec_bytes(p, a.card.inputs);
    if (validated) {
      const auto m = vrep.mean.values();
      for (std::size_t k = 0; k < m.size(); ++k) a.fit.stats["cv_" + worker::Metrics::names()[k]] = m[k];
      a.fit.stats["optimism_corrected_auc"] = vrep.corrected_auc;
    }
    // Selection frequencies travel with the model so that `dmde report` can plot them.
    if (std::filesystem::exists(boot_path)) {
      const auto f = h5::File::open(boot_path);
      const auto names = f.read_strings("variables");
      const auto freq = f.dataset("selection_frequency").read_all<double>();
      for (std::size_t j = 0; j < names.size() && j < freq.size(); ++j)
        if (freq[j] > 0) a.fit.stats["selection_frequency." + names[j]] = freq[j];
    }
    a.meta.insert({{"data_fingerprint", fingerprint},      {"seed", std::to_string(p.seed)},
                   {"parameters", params_json(p).dump()},  {"software_version", worker::software_version()},
                   {"created_utc", utc_now()},             {"table", std::filesystem::path(p.table).filename().string()},
                   {"n_replicates", std::to_string(p.replicates)}, {"effects", nlohmann::json(effect_names).dump()}});
    worker::save_artifact(p.output, a);
    worker::export_artifact_json(p.output + ".json", a);
    worker::export_artifact_h5(p.output + ".h5", a);
    std::fputs(worker::format_fit_summary(a).c_str(), stdout);
    spdlog::info("final model: {} effects, artifact '{}' (+ .json, .h5)", effects.size(), p.output);
  }
  comm.barrier();
  return 0;
}

void add_train_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<TrainParams>();
  auto* sub = app.add_subcommand("train", "Retrain: bootstrap stepwise selection, interactions, validation, final model");
  sub->add_option("--table", p->table, "Prepared table (dmde prepare output)")->required();
  sub->add_option("-o,--output", p->output, "Model artifact path")->capture_default_str();
  sub->add_option("--target", p->target, "0/1 outcome column to model")->capture_default_str();
  sub->add_option("--vars", p->vars, "Candidate variables (default: every categorical variable)");
  sub->add_option("--stage", p->stage, "all, bootstrap, interactions, validate or final")->capture_default_str();
  sub->add_option("--replicates", p->replicates, "Bootstrap replicates")->capture_default_str();
  sub->add_option("--seed", p->seed, "Seed of all random streams")->capture_default_str();
  sub->add_flag("!--no-stratify", p->stratify, "Resample without stratifying by target");
  sub->add_option("--threshold", p->threshold, "Keep variables selected in >= this share of replicates")->capture_default_str();
  sub->add_option("--slentry", p->slentry, "Stepwise SLENTRY")->capture_default_str();
  sub->add_option("--slstay", p->slstay, "Stepwise SLSTAY")->capture_default_str();
  sub->add_option("--max-steps", p->max_steps, "Stepwise steps per replicate")->capture_default_str();
  sub->add_flag("!--no-interactions", p->interactions, "Skip the interaction search in --stage all");
  sub->add_option("--inter-alpha", p->inter_alpha, "Holm family-wise level of the pair tests")->capture_default_str();
  sub->add_option("--inter-min-gain", p->inter_min_gain, "Minimum CV AUC gain to add a pair")->capture_default_str();
  sub->add_option("--folds", p->folds, "Cross-validation folds")->capture_default_str();
  sub->add_option("--cv-repeats", p->cv_repeats, "Cross-validation repeats")->capture_default_str();
  sub->add_option("--optimism-b", p->optimism_b, "Bootstrap samples for the optimism correction")->capture_default_str();
  sub->add_option("--ci-b", p->ci_b, "Row-bootstrap samples for confidence intervals")->capture_default_str();
  sub->add_option("--top-share", p->top_share, "Share of top-scored dossiers in the performance table")->capture_default_str();
  sub->add_flag("--resume", p->resume, "Continue an interrupted bootstrap from its checkpoint");
  sub->add_option("--stop-after", p->stop_after, "Testing: stop after this many new replicates")->group("");
  sub->add_option("--prep-spec", p->prep_spec, "Serialized PrepSpec to embed (default: the table's /prep_spec)");
  sub->add_option("--prefetch", p->prefetch, "Tasks queued ahead on each worker rank")->capture_default_str();
  sub->add_flag("!--no-progress", p->progress, "No progress lines");
  out.push_back({sub, [p](Comm& comm) { return run_train(comm, *p); }});
}

}  // namespace dmde::driver
