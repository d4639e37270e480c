#include "worker/score_io.hpp"

#include "core/error.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace dmde::worker {
namespace {

enum Col { kId, kCaf, kEta, kProb, kRank, kPctCaf, kFlag, kR1, kR2, kR3, kC1, kC2, kC3, kPctNat, kCols };

}  // namespace

ScoreOutput::ScoreOutput(const Comm& comm, const std::string& path, std::int64_t n_rows, bool collective, bool direct)
    : comm_(comm), xfer_(collective ? h5::Xfer::Collective : h5::Xfer::Independent) {
  // Datasets of 4 KiB or more start on 4 KiB boundaries: their whole blocks can take O_DIRECT writes.
  file_ = std::make_unique<h5::File>(h5::File::create(path, &comm, DirectWriter::kAlign));
  const auto n = static_cast<hsize_t>(n_rows);
  auto s = file_->create_group("score");
  ds_.push_back(file_->create_dataset<std::int64_t>("id", n));
  ds_.push_back(file_->create_dataset<std::int32_t>("caf", n));
  ds_.push_back(s.create_dataset<double>("eta", n));
  ds_.push_back(s.create_dataset<double>("probability", n));
  ds_.push_back(s.create_dataset<std::int32_t>("rank_caf", n));
  ds_.push_back(s.create_dataset<double>("pct_caf", n));
  ds_.push_back(s.create_dataset<std::uint8_t>("flag_top", n));
  for (int k = 1; k <= 3; ++k) ds_.push_back(s.create_dataset<std::int16_t>("reason" + std::to_string(k), n));
  for (int k = 1; k <= 3; ++k) ds_.push_back(s.create_dataset<double>("reason" + std::to_string(k) + "_contrib", n));
  ds_.push_back(s.create_dataset<double>("pct_national", n));
  if (!direct || collective) return;
  direct_ = std::make_unique<DirectWriter>(path);
  if (!direct_->direct()) {
    direct_.reset();
    return;
  }
  for (const auto& d : ds_) direct_id_.push_back(direct_->add(d, d.element_size()));
}

ScoreOutput::~ScoreOutput() = default;

template <class T>
void ScoreOutput::put(std::size_t k, hsize_t o, hsize_t c, const T* data) const {
  if (!direct_) return ds_[k].write(data, o, c, xfer_);
  for (const auto& [r0, r1] : direct_->write(direct_id_[k], o, c, data))
    ds_[k].write(data + (r0 - o), r0, r1 - r0, xfer_);
}

void ScoreOutput::close() {
  std::string err;
  if (direct_) {
    try {
      const auto w0 = std::chrono::steady_clock::now();
      direct_->finish();
      direct_bytes_ = direct_->bytes_written();
      spdlog::debug("O_DIRECT: {:.1f} MB, waited {:.3f} s for buffers, {:.3f} s for the last writes",
                    static_cast<double>(direct_bytes_) / 1048576.0,
                    direct_->waited(), std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
    } catch (const std::exception& e) {
      err = e.what();
    }
    direct_.reset();
  }
  // Every rank learns of a failed write before the collective close (no rank left waiting).
  if (comm_.allreduce_max(err.empty() ? std::int64_t{0} : std::int64_t{1}) != 0)
    throw Error(err.empty() ? "scores: a direct write failed on another rank" : err);
  ds_.clear();
  file_->close();
}

void ScoreOutput::write_rows(std::int64_t offset, std::int64_t count, const RowBlock& b) const {
  const auto o = static_cast<hsize_t>(offset), c = static_cast<hsize_t>(count);
  put(kId, o, c, b.id);
  put(kCaf, o, c, b.caf);
  put(kEta, o, c, b.eta);
  put(kProb, o, c, b.prob);
  put(kRank, o, c, b.rank_caf);
  put(kPctCaf, o, c, b.pct_caf);
  put(kFlag, o, c, b.flag);
  for (std::size_t k = 0; k < 3; ++k) put(kR1 + k, o, c, b.reason[k]);
  for (std::size_t k = 0; k < 3; ++k) put(kC1 + k, o, c, b.contrib[k]);
}

void ScoreOutput::write_pct_national(std::int64_t offset, std::int64_t count, const double* pct) const {
  put(kPctNat, static_cast<hsize_t>(offset), static_cast<hsize_t>(count), pct);
}

void ScoreOutput::write_tables(const std::vector<CafResult>& cafs, const DriftTable& d,
                               const std::vector<std::string>& effects) const {
  const bool root = comm_.is_root();
  file_->group("score").write_strings("effects", effects, root);

  auto cs = file_->create_group("caf_summary");
  const std::size_t m = cafs.size();
  std::vector<std::int32_t> caf(m);
  std::vector<std::int64_t> count(m), flagged(m), unseen(m), missing(m), oor(m), nonfin(m), rows_in(m);
  std::vector<std::uint64_t> checksum(m);
  std::vector<double> mean(m), dec(m * 9);
  for (std::size_t i = 0; i < m; ++i) {
    const auto& r = cafs[i];
    caf[i] = r.caf;
    count[i] = r.count;
    flagged[i] = r.flagged;
    unseen[i] = r.unseen;
    missing[i] = r.missing;
    oor[i] = r.out_of_range;
    nonfin[i] = r.nonfinite;
    rows_in[i] = r.rows_in;
    checksum[i] = r.checksum;
    mean[i] = r.mean;
    for (std::size_t k = 0; k < 9; ++k) dec[i * 9 + k] = r.deciles[k];
  }
  cs.write_vector("caf", caf, root);
  cs.write_vector("count", count, root);
  cs.write_vector("mean", mean, root);
  auto dd = cs.create_dataset<double>("deciles", m, 9);
  dd.write(dec.data(), 0, root ? m : 0);
  dd.set_attr("definition", std::string("10%..90% quantiles of the probability, R type 7 (numpy 'linear')"));
  cs.write_vector("flagged", flagged, root);
  cs.write_vector("unseen", unseen, root);
  cs.write_vector("missing", missing, root);
  cs.write_vector("out_of_range", oor, root);
  cs.write_vector("nonfinite", nonfin, root);

  auto mg = file_->create_group("manifest");
  mg.write_vector("caf", caf, root);
  mg.write_vector("rows_in", rows_in, root);
  mg.write_vector("rows_out", count, root);
  mg.write_vector("checksum", checksum, root);
  mg.set_attr("checksum", std::string("per Caf: sum mod 2^64 over its rows of mix64(id xor mix64(probability bits)), "
                                      "mix64 = splitmix64 finalizer"));

  auto dg = file_->create_group("drift");
  dg.write_strings("input", d.input, root);
  dg.write_strings("variable", d.variable, root);
  dg.write_vector("psi", d.psi, root);
  dg.write_vector("level", d.level, root);
  dg.write_vector("n_missing", d.missing, root);
  dg.write_vector("n_nonfinite", d.nonfinite, root);
  dg.write_vector("n_out_of_range", d.out_of_range, root);
  dg.write_vector("n_unseen", d.unseen, root);
  dg.write_vector("class_offset", d.class_offset, root);
  dg.write_vector("class_share_learning", d.share_learning, root);
  dg.write_vector("class_share_tonight", d.share_tonight, root);
  dg.set_attr("score_psi", d.score_psi);
  dg.set_attr("score_psi_level", static_cast<std::int64_t>(d.score_level));
  dg.set_attr("levels", std::string("PSI level 0: stable (< 0.1), 1: moderate shift (0.1-0.25), 2: major shift (>= 0.25)"));
  dg.set_attr("class_shares", std::string("input k's classes are entries class_offset[k]..class_offset[k+1]-1"));
}

}  // namespace dmde::worker
