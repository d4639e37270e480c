// `score_population` at 1, 2 and 3 ranks on a small population: probabilities equal a direct
// computation from the coefficients, ranks/percentiles/flags per Caf checked by brute force, reason
// codes are the top contributions and sum with the baseline to eta, output identical to a
// one-rank run, bad input fails on every rank and leaves no file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/h5.hpp"
#include "core/table.hpp"
#include "worker/score.hpp"

using namespace dmde;
using namespace dmde::worker;

namespace {

const std::string kDir = std::filesystem::temp_directory_path().string();
const std::vector<std::int64_t> kCafSizes = {120, 45, 30, 9, 3, 1};
constexpr float kInf = std::numeric_limits<float>::infinity();

// Independent coding of the test's three inputs (the rules of score_model.hpp, by hand).
int code_x(double x) { return !std::isfinite(x) ? 3 : x <= 1.0 ? 0 : x <= 2.5 ? 1 : 2; }
int code_c(double c) { return std::isnan(c) ? 2 : c == 0 ? 1 : c == 2 ? 0 : 2; }  // file levels b, zz(unseen), a
int code_y(double y) { return std::isnan(y) ? 2 : y <= 0.0 ? 0 : 1; }

/// Grouped population (rows by Caf, ids not increasing) or the same rows interleaved.
Table make_population(bool interleave) {
  Table t;
  t.schema.kind = "population";
  t.schema.vars = {{"x", VarKind::Numeric, "", 0, {}},
                   {"c", VarKind::Categorical, "", 0, {"b", "zz", "a"}},
                   {"y", VarKind::Numeric, "", 0, {}}};
  std::int64_t n = 0;
  for (auto s : kCafSizes) n += s;
  t.X.resize(n, 3);
  std::int64_t r = 0;
  for (std::size_t c = 0; c < kCafSizes.size(); ++c)
    for (std::int64_t k = 0; k < kCafSizes[c]; ++k, ++r) {
      t.id.push_back(5000 + ((r * 37) % n) * 3);  // unique, not increasing
      t.caf.push_back(static_cast<std::int32_t>(10 * (c + 1)));
      const double x = r % 11 == 0 ? std::nan("") : r % 17 == 0 ? kInf : r % 19 == 0 ? 12.0 : 0.25 * (r % 13);
      t.X(r, 0) = x;
      t.X(r, 1) = r % 9 == 0 ? std::nan("") : static_cast<double>(r % 3);
      t.X(r, 2) = r % 7 == 0 ? std::nan("") : static_cast<double>((r * 5) % 9) - 4.0;
    }
  if (interleave) {  // a fixed permutation: Cafs no longer contiguous
    std::vector<Eigen::Index> perm(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = (i * 53) % n;
    Table u = t;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto j = perm[static_cast<std::size_t>(i)];
      u.id[static_cast<std::size_t>(i)] = t.id[static_cast<std::size_t>(j)];
      u.caf[static_cast<std::size_t>(i)] = t.caf[static_cast<std::size_t>(j)];
      u.X.row(i) = t.X.row(j);
    }
    t = u;
  }
  t.weight = Eigen::VectorXd::Ones(n);
  t.outcomes.resize(n, 0);
  return t;
}

ScoreModel make_model(bool with_interaction) {
  ScoreModel m;
  m.name = "test";
  m.card.intercept = -2.0;
  m.card.inputs = {"px", "pc", "py"};
  InputCoding x;
  x.variable = "x", x.cuts = {1.0, 2.5}, x.lo = 0, x.hi = 3, x.n_classes = 4, x.missing_class = x.unseen_class = 3;
  x.learn_share = {0.4, 0.3, 0.2, 0.1};
  InputCoding c;
  c.variable = "c", c.categorical = true, c.levels = {"a", "b", "c"}, c.level_class = {0, 1, 1};
  c.n_classes = 3, c.missing_class = c.unseen_class = 2;
  c.learn_share = {0.5, 0.3, 0.2};
  InputCoding y;
  y.variable = "y", y.cuts = {0.0}, y.lo = -4, y.hi = 4, y.n_classes = 3, y.missing_class = y.unseen_class = 2;
  m.coding = {x, c, y};
  auto term = [&](std::string name, std::vector<int> in, std::vector<int> lv, std::vector<double> b) {
    model::ScoreTerm t;
    t.effect = name, t.inputs = in, t.n_levels = lv;
    t.beta = Eigen::Map<Eigen::VectorXd>(b.data(), static_cast<Eigen::Index>(b.size()));
    t.reference = 0.01 * static_cast<double>(b.size());
    m.card.terms.push_back(t);
  };
  term("px", {0}, {4}, {0, 0.4, 0.9, 0.3});
  term("pc", {1}, {3}, {0, -0.5, 0.4});
  term("py", {2}, {3}, {0, 0.9, -0.2});
  if (with_interaction) term("px*pc", {0, 1}, {4, 3}, {0, 0, 0, 0, 0, 0.3, -0.3, 0.1, 0, 0.2, 0.4, 0.9});
  m.score_cuts = {0.1, 0.2};
  m.score_learn_share = {0.3, 0.5, 0.2};
  return m;
}

struct Cols {
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf, rank;
  std::vector<double> eta, prob, pct_caf, pct_nat;
  std::vector<std::uint8_t> flag;
  std::vector<std::int16_t> reason[3];
  std::vector<double> contrib[3];
};

Cols read_cols(const std::string& path) {
  auto f = h5::File::open(path);
  auto s = f.group("score");
  Cols c;
  c.id = f.dataset("id").read_all<std::int64_t>();
  c.caf = f.dataset("caf").read_all<std::int32_t>();
  c.rank = s.dataset("rank_caf").read_all<std::int32_t>();
  c.eta = s.dataset("eta").read_all<double>();
  c.prob = s.dataset("probability").read_all<double>();
  c.pct_caf = s.dataset("pct_caf").read_all<double>();
  c.pct_nat = s.dataset("pct_national").read_all<double>();
  c.flag = s.dataset("flag_top").read_all<std::uint8_t>();
  for (int k = 0; k < 3; ++k) {
    c.reason[k] = s.dataset("reason" + std::to_string(k + 1)).read_all<std::int16_t>();
    c.contrib[k] = s.dataset("reason" + std::to_string(k + 1) + "_contrib").read_all<double>();
  }
  return c;
}

/// Bit-identical (NaN included).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::string write_pop(const Comm& comm, const std::string& name, bool interleave, bool duplicate, bool list_cafs) {
  const std::string path = kDir + "/" + name + "_np" + std::to_string(comm.size()) + ".h5";
  if (comm.is_root()) {
    write_table(path, make_population(interleave));
    if (duplicate) {  // write_table refuses duplicate ids: patch the file the way a bad export would
      auto f = h5::File::open(path, true);
      auto ids = f.dataset("id").read_all<std::int64_t>();
      ids[5] = ids[6];
      f.dataset("id").write(ids.data(), 0, ids.size());
    }
    if (list_cafs) {  // a Caf listed with no dossiers
      auto f = h5::File::open(path, true);
      std::vector<std::int32_t> cafs = {10, 20, 30, 40, 50, 60, 99};
      f.create_dataset<std::int32_t>("cafs", cafs.size()).write(cafs.data(), 0, cafs.size());
    }
  }
  comm.barrier();
  return path;
}

}  // namespace

TEST(ScoreMpi, MatchesDirectComputationAndBruteForceRanks) {
  Comm comm;
  const auto pop = write_pop(comm, "dmde_score_pop", false, false, true);
  const auto m = make_model(true);
  const std::string out = kDir + "/dmde_scores_np" + std::to_string(comm.size()) + ".h5";
  ScoreOptions opt;
  opt.chunk_rows = 16;  // several chunks per Caf
  opt.collective_writes = true;
  const auto res = score_population(comm, m, pop, out, opt);
  EXPECT_EQ(res.rows, 208);
  EXPECT_EQ(res.cafs, 6);
  EXPECT_EQ(res.flagged, 6 + 3 + 2 + 1 + 1 + 1);  // ceil(5% of each Caf)
  if (comm.is_root()) {
    const Table t = make_population(false);
    const Cols c = read_cols(out);
    ASSERT_EQ(c.id, t.id);
    ASSERT_EQ(c.caf, t.caf);
    const auto n = c.id.size();
    const double base = m.card.baseline();
    const double max_err = h5::File::open(out).group("score").dataset("pct_national").attr_double("max_error");
    EXPECT_LT(max_err, 10.0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = static_cast<Eigen::Index>(i);
      const int cx = code_x(t.X(r, 0)), cc = code_c(t.X(r, 1)), cy = code_y(t.X(r, 2));
      const auto& T = m.card.terms;
      const double v[4] = {T[0].beta[cx], T[1].beta[cc], T[2].beta[cy], T[3].beta[cx + 4 * cc]};
      const double eta = m.card.intercept + v[0] + v[1] + v[2] + v[3];
      EXPECT_NEAR(c.eta[i], eta, 1e-14);
      EXPECT_NEAR(c.prob[i], 1.0 / (1.0 + std::exp(-eta)), 1e-15);
      double contrib[4], sum = base;
      for (int j = 0; j < 4; ++j) sum += contrib[j] = v[j] - T[static_cast<std::size_t>(j)].reference;
      EXPECT_NEAR(sum, c.eta[i], 1e-12);  // all contributions + baseline = eta
      std::vector<int> order = {0, 1, 2, 3};
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return contrib[a] > contrib[b]; });
      for (int k = 0; k < 3; ++k) {
        EXPECT_EQ(c.reason[k][i], order[static_cast<std::size_t>(k)]) << "row " << i << " reason " << k;
        EXPECT_NEAR(c.contrib[k][i], contrib[order[static_cast<std::size_t>(k)]], 1e-15);
      }
      // Brute force within the Caf: rank (ties by id), percentile, flag.
      std::int64_t nc = 0, above = 0, lower = 0, equal = 0;
      for (std::size_t j = 0; j < n; ++j) {
        if (c.caf[j] != c.caf[i]) continue;
        ++nc;
        above += c.prob[j] > c.prob[i] || (c.prob[j] == c.prob[i] && c.id[j] < c.id[i]);
        lower += c.prob[j] < c.prob[i];
        equal += c.prob[j] == c.prob[i];
      }
      EXPECT_EQ(c.rank[i], above + 1);
      EXPECT_DOUBLE_EQ(c.pct_caf[i], 100.0 * (static_cast<double>(lower) + 0.5 * static_cast<double>(equal)) / static_cast<double>(nc));
      EXPECT_EQ(c.flag[i], above + 1 <= static_cast<std::int64_t>(std::ceil(0.05 * static_cast<double>(nc) - 1e-9)) ? 1 : 0);
      // National: exact midrank percentile within the documented bound; exact when values equal up
      // to rounding (different effect sums, 1e-16 apart) count as ties, as the 2^-20 bins make them.
      std::int64_t nl = 0, ne = 0, tl = 0, te = 0;
      for (std::size_t j = 0; j < n; ++j) {
        nl += c.prob[j] < c.prob[i], ne += c.prob[j] == c.prob[i];
        tl += c.prob[j] < c.prob[i] - 1e-12, te += std::abs(c.prob[j] - c.prob[i]) <= 1e-12;
      }
      const double exact = 100.0 * (static_cast<double>(nl) + 0.5 * static_cast<double>(ne)) / static_cast<double>(n);
      EXPECT_LE(std::abs(c.pct_nat[i] - exact), max_err + 1e-12);
      EXPECT_NEAR(c.pct_nat[i], 100.0 * (static_cast<double>(tl) + 0.5 * static_cast<double>(te)) / static_cast<double>(n), 1e-9);
    }
    auto f = h5::File::open(out);
    EXPECT_EQ(f.attr_string("model_fingerprint"), m.fingerprint());
    auto cs = f.group("caf_summary");
    EXPECT_EQ(cs.dataset("caf").read_all<std::int32_t>(), (std::vector<std::int32_t>{10, 20, 30, 40, 50, 60, 99}));
    EXPECT_EQ(cs.dataset("count").read_all<std::int64_t>(), (std::vector<std::int64_t>{120, 45, 30, 9, 3, 1, 0}));
    const auto mean = cs.dataset("mean").read_all<double>();
    const auto dec = cs.dataset("deciles").read_all<double>();
    std::vector<double> p(c.prob.begin(), c.prob.begin() + 120);  // Caf 10: rows 0..119
    double s = 0;
    for (double x : p) s += x;
    EXPECT_NEAR(mean[0], s / 120, 1e-15);
    std::sort(p.begin(), p.end());
    const double h = 119 * 0.3;  // R type 7, 30%
    EXPECT_NEAR(dec[2], p[35] + (h - 35) * (p[36] - p[35]), 1e-15);
    EXPECT_TRUE(std::isnan(mean[6]));
    auto mf = f.group("manifest");
    EXPECT_EQ(mf.dataset("rows_in").read_all<std::int64_t>(), mf.dataset("rows_out").read_all<std::int64_t>());
    auto d = f.group("drift");
    std::int64_t inf = 0, oor = 0, unseen = 0;
    for (Eigen::Index r = 0; r < t.X.rows(); ++r) {
      inf += std::isinf(t.X(r, 0));
      oor += std::isfinite(t.X(r, 0)) && t.X(r, 0) > 3.0;
      unseen += t.X(r, 1) == 1.0;
    }
    EXPECT_EQ(d.dataset("n_nonfinite").read_all<std::int64_t>()[0], inf);
    EXPECT_EQ(d.dataset("n_out_of_range").read_all<std::int64_t>()[0], oor);
    EXPECT_EQ(d.dataset("n_unseen").read_all<std::int64_t>()[1], unseen);
    EXPECT_GT(inf, 0);
    EXPECT_TRUE(std::isnan(d.dataset("psi").read_all<double>()[2]));  // no learning shares for y
    EXPECT_GT(d.dataset("psi").read_all<double>()[0], 0.0);
  }
  comm.barrier();
  if (comm.is_root()) std::filesystem::remove(out), std::filesystem::remove(pop);
}

TEST(ScoreMpi, IdenticalToOneRankAndInterleavedFileAndReasonsSum) {
  Comm comm;
  const auto pop = write_pop(comm, "dmde_score_pop2", false, false, false);
  const auto popi = write_pop(comm, "dmde_score_popi", true, false, false);
  const auto m = make_model(false);  // three effects: the three reasons are all contributions
  const std::string tag = std::to_string(comm.size());
  const std::string out = kDir + "/dmde_scores2_np" + tag + ".h5", outi = kDir + "/dmde_scoresi_np" + tag + ".h5",
                    out1 = kDir + "/dmde_scores1_np" + tag + ".h5", outc = kDir + "/dmde_scoresc_np" + tag + ".h5";
  score_population(comm, m, pop, out, {});
  ScoreOptions copt;
  copt.collective_writes = true;
  score_population(comm, m, pop, outc, copt);
  score_population(comm, m, popi, outi, {});
  // One and two threads per rank (the pipelined mode), with small blocks: several per Caf, Cafs
  // sharing blocks, and the interleaved file's runs.
  const std::string outt1 = kDir + "/dmde_scorest1_np" + tag + ".h5", outt2 = kDir + "/dmde_scorest2_np" + tag + ".h5",
                    outit2 = kDir + "/dmde_scoresit2_np" + tag + ".h5";
  ScoreOptions t1, t2;
  t1.threads = 1, t2.threads = 2;
  t1.chunk_rows = t2.chunk_rows = 16;
  score_population(comm, m, pop, outt1, t1);
  score_population(comm, m, pop, outt2, t2);
  score_population(comm, m, popi, outit2, t2);
  if (comm.is_root()) {
    Comm self(MPI_COMM_SELF);
    score_population(self, m, pop, out1, {});
    const Cols a = read_cols(out), b = read_cols(out1), c = read_cols(outi), d = read_cols(outc);
    for (const auto& [x, y] : {std::pair{outt1, out}, std::pair{outt2, out}, std::pair{outit2, outi}}) {
      const Cols u = read_cols(x), v = read_cols(y);
      EXPECT_EQ(u.id, v.id) << x;
      EXPECT_TRUE(same_bits(u.eta, v.eta)) << x;
      EXPECT_TRUE(same_bits(u.prob, v.prob)) << x;
      EXPECT_EQ(u.rank, v.rank) << x;
      EXPECT_TRUE(same_bits(u.pct_caf, v.pct_caf)) << x;
      EXPECT_TRUE(same_bits(u.pct_nat, v.pct_nat)) << x;
      EXPECT_EQ(u.flag, v.flag) << x;
      for (int k = 0; k < 3; ++k) {
        EXPECT_EQ(u.reason[k], v.reason[k]) << x;
        EXPECT_TRUE(same_bits(u.contrib[k], v.contrib[k])) << x;
      }
      auto fx = h5::File::open(x), fy = h5::File::open(y);
      for (const char* name : {"caf_summary/mean", "caf_summary/deciles", "drift/psi", "drift/class_share_tonight"})
        EXPECT_TRUE(same_bits(fx.dataset(name).read_all<double>(), fy.dataset(name).read_all<double>())) << x << " " << name;
      for (const char* name : {"caf_summary/unseen", "caf_summary/missing", "caf_summary/out_of_range", "caf_summary/count"})
        EXPECT_EQ(fx.dataset(name).read_all<std::int64_t>(), fy.dataset(name).read_all<std::int64_t>()) << x << " " << name;
      EXPECT_EQ(fx.dataset("manifest/checksum").read_all<std::uint64_t>(), fy.dataset("manifest/checksum").read_all<std::uint64_t>());
    }
    for (const auto& p : {outt1, outt2, outit2}) std::filesystem::remove(p);
    EXPECT_EQ(d.prob, a.prob);  // collective and independent writes: same file content
    EXPECT_EQ(d.rank, a.rank);
    EXPECT_EQ(d.pct_nat, a.pct_nat);
    EXPECT_EQ(d.reason[2], a.reason[2]);
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.eta, b.eta);
    EXPECT_EQ(a.prob, b.prob);
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.pct_caf, b.pct_caf);
    EXPECT_EQ(a.pct_nat, b.pct_nat);
    EXPECT_EQ(a.flag, b.flag);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(a.reason[k], b.reason[k]);
      EXPECT_EQ(a.contrib[k], b.contrib[k]);
    }
    auto fa = h5::File::open(out), fb = h5::File::open(out1);
    for (const char* name : {"caf_summary/mean", "caf_summary/deciles", "drift/psi"})
      EXPECT_TRUE(same_bits(fa.dataset(name).read_all<double>(), fb.dataset(name).read_all<double>())) << name;
    EXPECT_EQ(fa.dataset("manifest/checksum").read_all<std::uint64_t>(), fb.dataset("manifest/checksum").read_all<std::uint64_t>());
    EXPECT_EQ(fa.group("drift").attr_double("score_psi"), fb.group("drift").attr_double("score_psi"));
    const double base = m.card.baseline();
    for (std::size_t i = 0; i < a.id.size(); ++i)
      EXPECT_NEAR(base + a.contrib[0][i] + a.contrib[1][i] + a.contrib[2][i], a.eta[i], 1e-12);
    // Per-Caf coding counts: the same at any rank count and in the interleaved file, and the
    // unseen level counted in the Caf of its row.
    auto fc = h5::File::open(outi);
    for (const char* name : {"caf_summary/unseen", "caf_summary/missing", "caf_summary/out_of_range", "caf_summary/nonfinite"}) {
      EXPECT_EQ(fa.dataset(name).read_all<std::int64_t>(), fb.dataset(name).read_all<std::int64_t>()) << name;
      EXPECT_EQ(fa.dataset(name).read_all<std::int64_t>(), fc.dataset(name).read_all<std::int64_t>()) << name;
    }
    {
      const Table t = make_population(false);
      const auto cafs = fa.dataset("caf_summary/caf").read_all<std::int32_t>();
      const auto unseen = fa.dataset("caf_summary/unseen").read_all<std::int64_t>();
      std::int64_t total = 0;
      for (std::size_t k = 0; k < cafs.size(); ++k) {
        std::int64_t want = 0;
        for (Eigen::Index r = 0; r < t.X.rows(); ++r) want += t.caf[static_cast<std::size_t>(r)] == cafs[k] && t.X(r, 1) == 1.0;
        EXPECT_EQ(unseen[k], want) << "Caf " << cafs[k];
        total += want;
      }
      EXPECT_GT(total, 0);
    }
    EXPECT_TRUE(same_bits(fa.dataset("drift/class_share_tonight").read_all<double>(),
                          fc.dataset("drift/class_share_tonight").read_all<double>()));
    // The interleaved file: same results per dossier id, at the rows where each id sits.
    std::vector<std::size_t> at(c.id.size());
    for (std::size_t i = 0; i < c.id.size(); ++i)
      at[i] = static_cast<std::size_t>(std::find(a.id.begin(), a.id.end(), c.id[i]) - a.id.begin());
    for (std::size_t i = 0; i < c.id.size(); ++i) {
      ASSERT_LT(at[i], a.id.size());
      EXPECT_EQ(c.prob[i], a.prob[at[i]]);
      EXPECT_EQ(c.rank[i], a.rank[at[i]]);
      EXPECT_EQ(c.flag[i], a.flag[at[i]]);
      EXPECT_EQ(c.pct_nat[i], a.pct_nat[at[i]]);
    }
    for (const auto& p : {out, out1, outi, outc, pop, popi}) std::filesystem::remove(p);
  }
  comm.barrier();
}

TEST(ScoreMpi, BadInputFailsEverywhereAndLeavesNoFile) {
  Comm comm;
  const auto dup = write_pop(comm, "dmde_score_dup", false, true, false);
  const std::string out = kDir + "/dmde_scores_bad_np" + std::to_string(comm.size()) + ".h5";
  auto gone = [&] {
    comm.barrier();
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
  };
  try {
    score_population(comm, make_model(true), dup, out, {});
    ADD_FAILURE() << "duplicate ids accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate"), std::string::npos) << e.what();
  }
  gone();
  ScoreOptions two;  // the pipelined mode: the scoring thread's error stops the HDF5 thread
  two.threads = 2, two.chunk_rows = 16;
  try {
    score_population(comm, make_model(true), dup, out, two);
    ADD_FAILURE() << "duplicate ids accepted with two threads";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate"), std::string::npos) << e.what();
  }
  gone();
  auto m = make_model(true);
  m.coding[2].variable = "absent";
  EXPECT_THROW(score_population(comm, m, dup, out, {}), InputError);
  gone();
  m = make_model(true);
  m.coding[1].categorical = false;  // the file's c is categorical
  EXPECT_THROW(score_population(comm, m, dup, out, {}), InputError);
  gone();
  m = make_model(true);
  m.card.terms[3].n_levels = {4, 4};  // card and spec disagree
  EXPECT_THROW(score_population(comm, m, dup, out, {}), InputError);
  gone();
  if (comm.is_root()) std::filesystem::remove(dup);
}

TEST(ScoreMpi, PlanFromSharesOfCafColumnMatchesTheFile) {
  Comm comm;
  for (bool interleave : {false, true}) {
    const auto path = write_pop(comm, interleave ? "dmde_score_plani" : "dmde_score_plan", interleave, false, false);
    const Table t = make_population(interleave);
    {
      TableReader pop(path, &comm);
      // 16-row pieces: each rank scans several, and runs cross the share boundaries.
      const ScorePlan plan = plan_scoring(comm, pop, 16);
      std::vector<Segment> want;  // the runs of /caf, by hand
      for (std::size_t r = 0; r < t.caf.size(); ++r) {
        const auto row = static_cast<std::int64_t>(r);
        if (!want.empty() && want.back().caf == t.caf[r]) want.back().end = row + 1;
        else want.push_back({t.caf[r], row, row + 1});
      }
      std::vector<Segment> got;
      for (const auto& segs : plan.caf_segments) got.insert(got.end(), segs.begin(), segs.end());
      std::sort(got.begin(), got.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k].caf, want[k].caf) << k;
        EXPECT_EQ(got[k].begin, want[k].begin) << k;
        EXPECT_EQ(got[k].end, want[k].end) << k;
      }
      EXPECT_EQ(plan.grouped, !interleave);
      EXPECT_EQ(plan.n_rows, static_cast<std::int64_t>(t.caf.size()));
      if (interleave) {
        EXPECT_FALSE(plan.ids_increasing);  // the fixture's ids are not increasing
      }
    }
    comm.barrier();
    if (comm.is_root()) std::filesystem::remove(path);
  }
}
