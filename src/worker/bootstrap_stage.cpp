#include "worker/bootstrap_stage.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "core/atomic.hpp"
#include "core/h5.hpp"
#include "core/serialize.hpp"
#include "worker/checkpoint.hpp"
#include "worker/work_queue.hpp"

namespace dmde::worker {
namespace {

void write_output(const std::string& path, const ClassData& d, const std::vector<ReplicateResult>& res,
                  const SelectionSummary& s, const BootstrapStageOptions& opt) {
  AtomicPath out(path);
  {
    auto f = h5::File::create(out.temp());
    f.set_attr("dmde_format", std::string("dmde-bootstrap"));
    f.set_attr("replicates", static_cast<std::int64_t>(res.size()));
    f.set_attr("seed", std::to_string(opt.seed));
    f.set_attr("stratify", static_cast<std::int64_t>(opt.stratify));
    f.set_attr("threshold", opt.threshold);
    f.set_attr("job_key", opt.job_key);
    f.set_attr("mean_oob_auc", s.mean_oob_auc);
    f.write_strings("variables", d.names);
    f.write_vector("selection_count", std::vector<std::int32_t>(s.count.begin(), s.count.end()));
    f.write_vector("selection_frequency", s.frequency);
    f.write_vector("sign_stability", s.sign_stability);
    std::vector<std::string> kept;
    for (int j : s.kept) kept.push_back(d.names[static_cast<std::size_t>(j)]);
    f.write_strings("kept", kept);
    auto g = f.create_group("replicates");
    std::vector<double> auc, coef;
    std::vector<std::int32_t> steps, conv, sel;
    std::vector<std::int64_t> sel_off{0}, coef_off{0};
    for (const auto& r : res) {
      auc.push_back(r.oob_auc);
      steps.push_back(r.steps);
      conv.push_back(r.converged);
      sel.insert(sel.end(), r.selected.begin(), r.selected.end());
      coef.insert(coef.end(), r.coef.begin(), r.coef.end());
      sel_off.push_back(static_cast<std::int64_t>(sel.size()));
      coef_off.push_back(static_cast<std::int64_t>(coef.size()));
    }
    g.write_vector("oob_auc", auc);
    g.write_vector("steps", steps);
    g.write_vector("converged", conv);
    g.write_vector("selected", sel);
    g.write_vector("selected_offset", sel_off);
    g.write_vector("coef", coef);
    g.write_vector("coef_offset", coef_off);
  }
  out.commit();
}

}  // namespace

BootstrapStageResult run_bootstrap_stage(const Comm& comm, const ClassData& d, const StepwiseOptions& sw,
                                         const BootstrapStageOptions& opt, const std::string& out_path,
                                         const std::string& ckpt_path) {
  BootstrapStageResult out;
  std::unique_ptr<Checkpoint> ckpt;
  std::map<std::int64_t, ReplicateResult> done;
  std::vector<std::int64_t> pending;
  if (comm.is_root()) {
    ckpt = std::make_unique<Checkpoint>(ckpt_path, opt.job_key, opt.resume);
    for (const auto& [r, bytes] : ckpt->done()) {
      if (r >= opt.replicates) continue;
      ReplicateResult res;
      from_bytes(bytes, res);
      done[r] = res;
    }
    for (std::int64_t r = 0; r < opt.replicates; ++r)
      if (!done.count(r)) pending.push_back(r);
    if (opt.resume) spdlog::info("bootstrap: {} replicates found in the checkpoint, {} to run", done.size(), pending.size());
  }
  comm.bcast_vector(pending);
  Progress progress("bootstrap replicates", opt.replicates, opt.replicates - static_cast<std::int64_t>(pending.size()),
                    comm.is_root() && opt.progress);
  std::function<void()> serve;  // set by the work queue on rank 0
  StepwiseOptions swq = sw;
  swq.between_steps = [&serve] {
    if (serve) serve();
  };
  auto compute = [&](std::int64_t r) { return to_bytes(run_replicate(d, opt.seed, r, opt.stratify, swq)); };
  auto commit = [&](std::int64_t r, const std::string& bytes) {
    ckpt->append(r, bytes);  // durable before it counts
    ReplicateResult res;
    from_bytes(bytes, res);
    done[r] = std::move(res);
    progress.tick();
  };
  QueueOptions qo{opt.prefetch, opt.stop_after};
  qo.serve = &serve;
  out.computed = run_work_queue(comm, pending, compute, commit, qo);
  out.complete = out.computed == static_cast<std::int64_t>(pending.size());
  if (!out.complete) return out;
  progress.finish();
  std::string bytes;
  if (comm.is_root()) {
    for (auto& [r, res] : done) out.results.push_back(res);  // std::map: replicate order
    out.summary = summarize(d, out.results, opt.threshold);
    write_output(out_path, d, out.results, out.summary, opt);
    ckpt->remove();
    bytes = to_bytes(out.summary.kept);
  }
  comm.bcast(bytes);
  if (!comm.is_root()) from_bytes(bytes, out.summary.kept);
  return out;
}

std::vector<std::string> read_kept(const std::string& path) {
  auto f = h5::File::open(path);
  if (!f.has_attr("dmde_format") || f.attr_string("dmde_format") != "dmde-bootstrap")
    throw InputError("'" + path + "' is not a dmde bootstrap output");
  return f.read_strings("kept");
}

}  // namespace dmde::worker
