// `prepare` on a synthetic table with known structure (one rank): screening reasons, true effects
// kept, the correlated block reduced to one representative, spec applied = prepared codes.
#include <gtest/gtest.h>

#include <algorithm>

#include "prep_synth.hpp"
#include "worker/prepare.hpp"

using namespace dmde;

namespace {
const worker::PrepareResult& result() {
  static const worker::PrepareResult r = [] {
    Comm self(MPI_COMM_SELF);
    return worker::prepare(self, prep_synth::make_table(), "target", model::PrepOptions{});
  }();
  return r;
}
const worker::VarReport& row(const std::string& name) {
  for (const auto& r : result().report)
    if (r.name == name) return r;
  throw std::runtime_error("no row " + name);
}
}  // namespace

TEST(Prepare, ScreeningReasons) {
  EXPECT_EQ(row("sparse").reason, "too few observed values");
  EXPECT_EQ(row("constant").reason, "too little variation");
  EXPECT_EQ(result().report.size(), 22u);
}

TEST(Prepare, TrueEffectsSurvive) {
  for (const char* v : {"x_eff", "c_eff", "x_miss"}) {
    EXPECT_TRUE(row(v).kept) << v << ": " << row(v).reason;
    EXPECT_LT(row(v).pvalue, 1e-6) << v;
  }
  EXPECT_EQ(row("x_miss").classes.find("missing") != std::string::npos, true);
  // c_eff: level D is the risky one, A/B/C are alike: two classes.
  EXPECT_EQ(row("c_eff").n_classes, 2);
}

TEST(Prepare, CorrelatedBlockHasOneRepresentative) {
  int kept = 0, cluster = row("z1").cluster;
  ASSERT_GE(cluster, 0);
  for (const char* v : {"z1", "z2", "z3", "z4"}) {
    kept += row(v).kept;
    EXPECT_EQ(row(v).cluster, cluster) << v;
    EXPECT_GT(row(v).association, 0.9) << v;
  }
  EXPECT_EQ(kept, 1);
  EXPECT_NE(row("x_eff").cluster, cluster);
}

TEST(Prepare, NoiseIsMostlyScreenedOut) {
  int kept = 0;
  for (const auto& r : result().report)
    if (r.name[0] == 'n') kept += r.kept;
  EXPECT_LE(kept, 2);
}

TEST(Prepare, SpecAppliedReproducesCodes) {
  const auto t = prep_synth::make_table();
  const auto& r = result();
  ASSERT_EQ(r.spec.vars.size(), static_cast<std::size_t>(std::count_if(r.report.begin(), r.report.end(),
                                                                       [](const auto& x) { return x.kept; })));
  model::UnseenCounts unseen;
  const Table p = worker::apply_spec(r.spec, t, &unseen);
  EXPECT_EQ(unseen.total(), 0);
  EXPECT_EQ(p.schema.kind, "prepared");
  EXPECT_EQ(p.id, t.id);
  for (std::size_t c = 0; c < r.spec.vars.size(); ++c) {
    const auto& v = r.spec.vars[c];
    EXPECT_EQ(p.schema.vars[c].levels, v.labels);
    const auto col = t.column(v.source);
    for (Eigen::Index i = 0; i < t.rows(); ++i) ASSERT_EQ(p.X(i, static_cast<Eigen::Index>(c)), v.code(col[i]));
    EXPECT_EQ(p.X.col(static_cast<Eigen::Index>(c)).maxCoeff(), v.n_classes() - 1);
  }
}

TEST(Prepare, ReportsListEveryVariable) {
  const auto csv = worker::report_csv(result().report);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 23);
  EXPECT_NE(worker::report_json(result(), model::PrepOptions{}).find("\"z3\""), std::string::npos);
  EXPECT_NE(worker::report_console(result()).find("too few observed values"), std::string::npos);
}

TEST(Prepare, RejectsNonBinaryTarget) {
  auto t = prep_synth::make_table(50);
  t.outcomes(3, 0) = 2.0;
  Comm self(MPI_COMM_SELF);
  EXPECT_THROW(worker::prepare(self, t, "target", model::PrepOptions{}), InputError);
}

TEST(Prepare, StrongSignalWaivesTheInformationValue) {
  // A 1.2% flag with twice the base rate: IV ~0.01 < min_iv, yet p ~ 1e-7 (one split tried: the
  // adjusted p-value is the p-value). Kept under the default strong_pvalue, dropped without it.
  const int n = 20000;
  Table t;
  t.X.resize(n, 1);
  t.outcomes.resize(n, 1);
  t.weight = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < n; ++i) {
    t.X(i, 0) = i < 240 ? 1.0 : 0.0;
    t.outcomes(i, 0) = i < 240 ? (i % 5 == 0) : (i % 10 == 0);
    t.id.push_back(i + 1);
    t.caf.push_back(1);
  }
  t.schema.n_rows = n;
  t.schema.outcomes = {"target"};
  t.schema.vars.push_back(VarInfo{"flag", VarKind::Numeric, "test", 0, {}});
  Comm self(MPI_COMM_SELF);
  model::PrepOptions opt;
  const auto kept = worker::prepare(self, t, "target", opt).report.at(0);
  EXPECT_TRUE(kept.kept) << kept.reason;
  EXPECT_EQ(kept.n_classes, 2);
  EXPECT_LT(kept.iv, opt.min_iv);
  EXPECT_LT(kept.pvalue_adj, opt.strong_pvalue);
  EXPECT_EQ(kept.pvalue_adj, kept.pvalue);
  opt.strong_pvalue = 0.0;
  EXPECT_EQ(worker::prepare(self, t, "target", opt).report.at(0).reason, "weak link with target (information value)");
}

TEST(Prepare, AdjustedPValueCountsTheClassSearch) {
  // Every screened variable: pvalue_adj = min(1, pvalue x multiplier) with multiplier >= 1.
  for (const auto& r : result().report) {
    if (r.n_classes < 2) continue;
    EXPECT_GE(r.pvalue_adj, r.pvalue) << r.name;
    EXPECT_LE(r.pvalue_adj, 1.0) << r.name;
  }
  EXPECT_GT(row("x_eff").pvalue_adj, row("x_eff").pvalue);  // several intervals chosen among 20 pre-bins
}
