#include "worker/score_io.hpp"

namespace dmde::worker {
namespace {

enum Col { kId, kCaf, kEta, kProb, kRank, kPctCaf, kFlag, kR1, kR2, kR3, kC1, kC2, kC3, kPctNat, kCols };

}  // namespace

ScoreOutput::ScoreOutput(const Comm& comm, const std::string& path, std::int64_t n_rows, bool collective)
    : comm_(comm), xfer_(collective ? h5::Xfer::Collective : h5::Xfer::Independent) {
  file_ = std::make_unique<h5::File>(h5::File::create(path, &comm));
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
}

void ScoreOutput::write_rows(std::int64_t offset, std::int64_t count, const RowBlock& b) const {
  const auto o = static_cast<hsize_t>(offset), c = static_cast<hsize_t>(count);
  ds_[kId].write(b.id, o, c, xfer_);
  ds_[kCaf].write(b.caf, o, c, xfer_);
  ds_[kEta].write(b.eta, o, c, xfer_);
  ds_[kProb].write(b.prob, o, c, xfer_);
  ds_[kRank].write(b.rank_caf, o, c, xfer_);
  ds_[kPctCaf].write(b.pct_caf, o, c, xfer_);
  ds_[kFlag].write(b.flag, o, c, xfer_);
  for (int k = 0; k < 3; ++k) ds_[kR1 + k].write(b.reason[static_cast<std::size_t>(k)], o, c, xfer_);
  for (int k = 0; k < 3; ++k) ds_[kC1 + k].write(b.contrib[static_cast<std::size_t>(k)], o, c, xfer_);
}

void ScoreOutput::write_pct_national(std::int64_t offset, std::int64_t count, const double* pct) const {
  ds_[kPctNat].write(pct, static_cast<hsize_t>(offset), static_cast<hsize_t>(count), xfer_);
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
