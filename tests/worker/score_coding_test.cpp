// Inputs coded into 1-byte class codes with their class counts in one pass (worker/score_coding.hpp):
// numeric values against cuts and categorical int16 level codes. Hand-checked cases, and both forms
// (AVX-512 when the CPU has it, portable) against a direct per-value tally, for every cut count and
// several level counts, with NaN, +/-inf, values equal to cuts, bad level codes and odd lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "worker/score_coding.hpp"
#include "worker/score_model.hpp"

using namespace dmde;
using namespace dmde::worker;

namespace {

TableSchema schema() {
  TableSchema s;
  s.kind = "population";
  s.vars = {{"x", VarKind::Numeric, "", 0, {}}, {"c", VarKind::Categorical, "", 0, {"a", "b"}}};
  return s;
}

}  // namespace

TEST(ScoreCodingBytes, OnlyAscendingShortCutListsOfNumericInputs) {
  InputCoding c;
  c.variable = "x";
  c.n_classes = 4;
  c.missing_class = c.unseen_class = 3;
  c.cuts = {2.0, 1.0};  // not ascending: the class counts would not be differences
  EXPECT_FALSE(InputCoder(c, schema(), "P.h5").codes_bytes());
  c.cuts.assign(16, 0.0);  // more than kMaxByteCuts
  c.n_classes = 18, c.missing_class = c.unseen_class = 17;
  EXPECT_FALSE(InputCoder(c, schema(), "P.h5").codes_bytes());
  c.cuts.assign(15, 0.0);  // ties are fine
  c.n_classes = 17, c.missing_class = c.unseen_class = 16;
  EXPECT_TRUE(InputCoder(c, schema(), "P.h5").codes_bytes());
  InputCoding k;
  k.variable = "c";
  k.categorical = true;
  k.levels = {"a", "b"};
  k.level_class = {0, 1};
  k.n_classes = 3, k.missing_class = k.unseen_class = 2;
  EXPECT_FALSE(InputCoder(k, schema(), "P.h5").codes_bytes());
}

TEST(ScoreCodingBytes, BothFormsEqualADirectTallyForEveryCutCountAndRule) {
  std::mt19937_64 g(11);
  std::normal_distribution<float> z;
  std::uniform_real_distribution<float> u;
  const float inf = std::numeric_limits<float>::infinity();
  for (const CutRule rule : {CutRule::Interim, CutRule::Spec})
    for (int m = 0; m <= kMaxByteCuts; ++m) {
      std::vector<float> cuts;
      for (int j = 0; j < m; ++j) cuts.push_back(-2.0f + 0.25f * static_cast<float>(j));
      if (m >= 3) cuts[2] = cuts[1];  // a tie
      for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{1037},
                                  std::size_t{9001}}) {
        std::vector<float> x(n);
        for (auto& v : x) {
          const float r = u(g);
          v = r < 0.05f ? std::numeric_limits<float>::quiet_NaN()
              : r < 0.08f ? (r < 0.065f ? inf : -inf)
              : r < 0.2f && m > 0 ? cuts[static_cast<std::size_t>(g() % static_cast<unsigned>(m))]
                                  : 1.5f * z(g);
        }
        const float lo = -1.0f, hi = 1.25f;
        const auto missing = static_cast<std::uint8_t>(m + 1);
        // Direct tally: the code rules of score_model.hpp and prep_spec.hpp, one value at a time.
        std::vector<std::uint8_t> want(n);
        NumericTally ref;
        for (std::size_t i = 0; i < n; ++i) {
          ref.nan += std::isnan(x[i]) ? 1 : 0;
          ref.inf += std::isinf(x[i]) ? 1 : 0;
          const bool coded = rule == CutRule::Interim ? std::isfinite(x[i]) : !std::isnan(x[i]);
          if (!coded) {
            want[i] = missing;
            continue;
          }
          ++ref.coded;
          int k = 0;
          for (int j = 0; j < m; ++j)
            if (rule == CutRule::Interim ? x[i] > cuts[static_cast<std::size_t>(j)] : x[i] >= cuts[static_cast<std::size_t>(j)])
              ++k, ++ref.above[static_cast<std::size_t>(j)];
          want[i] = static_cast<std::uint8_t>(k);
          ref.out_of_range += (x[i] < lo || x[i] > hi) ? 1 : 0;
        }
        for (const bool simd : {false, true}) {
          std::vector<std::uint8_t> got(n + 1, 0xee);  // one guard byte
          NumericTally t;
          code_numeric_bytes(x.data(), n, cuts.data(), m, lo, hi, missing, got.data(), t, rule, simd);
          const std::string what = "rule=" + std::to_string(static_cast<int>(rule)) + " m=" + std::to_string(m) +
                                   " n=" + std::to_string(n) + " simd=" + std::to_string(simd);
          EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)), want) << what;
          EXPECT_EQ(got[n], 0xee) << what;
          EXPECT_EQ(t.coded, ref.coded) << what;
          EXPECT_EQ(t.nan, ref.nan) << what;
          EXPECT_EQ(t.inf, ref.inf) << what;
          EXPECT_EQ(t.out_of_range, ref.out_of_range) << what;
          EXPECT_EQ(t.above, ref.above) << what;
        }
      }
    }
  if (!coding_uses_avx512()) GTEST_LOG_(INFO) << "no AVX-512 here: only the portable form was compared";
}

TEST(ScoreCodingBytes, FloatBoundsOfDoubleCutsCompareExactly) {
  // x >= c (double) for every float x near c exactly when x >= float_at_or_above(c); x > c when
  // x > float_at_or_below(c).
  for (const double c : {0.1, -0.1, 1.0 / 3.0, 2.5, 1e-45, 3.5e38, -3.5e38, 0.0}) {
    const float up = float_at_or_above(c), down = float_at_or_below(c);
    EXPECT_GE(static_cast<double>(up), c);
    EXPECT_LE(static_cast<double>(down), c);
    float x = std::nextafter(std::nextafter(down, -INFINITY), -INFINITY);
    for (int i = 0; i < 6; ++i, x = std::nextafter(x, INFINITY)) {
      EXPECT_EQ(static_cast<double>(x) >= c, x >= up) << c << " " << x;
      EXPECT_EQ(static_cast<double>(x) > c, x > down) << c << " " << x;
    }
  }
}

TEST(ScoreCodingBytes, LevelCodesHandCase) {
  // Population levels a, b (schema()); training levels b -> 0, c -> 1, others unseen -> 2, missing -> 3.
  InputCoding c;
  c.variable = "c";
  c.categorical = true;
  c.levels = {"b", "c"};
  c.level_class = {0, 1};
  c.n_classes = 4, c.unseen_class = 2, c.missing_class = 3;
  InputCoder coder(c, schema(), "P.h5");
  ASSERT_TRUE(coder.codes_levels());
  const std::vector<std::int16_t> lv = {1, 0, -1, 1, 1, 0};  // b, a (unseen), missing, b, b, a
  std::vector<std::uint8_t> codes(lv.size());
  std::vector<std::int64_t> classes(4, 0);
  CodingCounts n;
  coder.apply_levels(lv.data(), 6, codes.data(), n, classes.data());
  EXPECT_EQ(codes, (std::vector<std::uint8_t>{0, 2, 3, 0, 0, 2}));
  EXPECT_EQ(classes, (std::vector<std::int64_t>{3, 0, 2, 1}));
  EXPECT_EQ(n.unseen, 2);
  EXPECT_EQ(n.missing, 1);
  const std::vector<std::int16_t> bad = {0, 2};  // code 2: outside the file's 2 levels
  try {
    coder.apply_levels(bad.data(), 2, codes.data(), n, classes.data());
    FAIL() << "a level code outside the levels was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'c' holds a level code outside its 2 levels"), std::string::npos) << e.what();
  }
}

TEST(ScoreCodingBytes, LevelFormsEqualADirectTally) {
  std::mt19937_64 g(5);
  for (const int L : {0, 1, 6, 30, 31, 40, 255}) {
    std::vector<std::uint8_t> cls(static_cast<std::size_t>(L) + 1);
    for (auto& c : cls) c = static_cast<std::uint8_t>(g() % 200);
    for (const std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{32}, std::size_t{1001}}) {
      std::vector<std::int16_t> lv(n);
      for (auto& v : lv) v = static_cast<std::int16_t>(static_cast<int>(g() % static_cast<unsigned>(L + 1)) - 1);
      std::vector<std::uint8_t> want(n);
      std::vector<std::int64_t> ref(static_cast<std::size_t>(L) + 1, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto j = static_cast<std::size_t>(lv[i] + 1);
        want[i] = cls[j];
        ++ref[j];
      }
      for (const bool simd : {false, true}) {
        const std::string what = "L=" + std::to_string(L) + " n=" + std::to_string(n) + " simd=" + std::to_string(simd);
        std::vector<std::uint8_t> got(n + 1, 0xee);
        std::vector<std::int64_t> cnt(static_cast<std::size_t>(L) + 1, 0);
        EXPECT_TRUE(code_levels_bytes(lv.data(), n, L, cls.data(), got.data(), cnt.data(), simd)) << what;
        EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)), want) << what;
        EXPECT_EQ(got[n], 0xee) << what;
        EXPECT_EQ(cnt, ref) << what;
        if (n == 0) continue;
        for (const std::int16_t wrong : {static_cast<std::int16_t>(L), static_cast<std::int16_t>(-2), std::int16_t{32767}}) {
          auto bad = lv;
          bad[n - 1] = wrong;  // the last value: the vector form's tail too
          std::vector<std::int64_t> junk(static_cast<std::size_t>(L) + 1, 0);
          EXPECT_FALSE(code_levels_bytes(bad.data(), n, L, cls.data(), got.data(), junk.data(), simd)) << what << " code " << wrong;
        }
      }
    }
  }
}

TEST(ScoreCodingBytes, SpecTransformsGiveApplysCodesAndCounts) {
  // Inputs of a `dmde train` model carry the prepare spec's transform: the byte paths must give
  // exactly what InputCoder::apply (VariableTransform::apply, in double) gives, counts included.
  std::mt19937_64 g(3);
  std::normal_distribution<float> z;
  std::uniform_real_distribution<float> u;
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const auto tally = [](const std::vector<int>& codes, int k) {
    std::vector<std::int64_t> t(static_cast<std::size_t>(k), 0);
    for (const int c : codes) ++t[static_cast<std::size_t>(c)];
    return t;
  };
  for (const int missing_class : {-1, 4}) {
    model::VariableTransform t;
    t.kind = model::PrepKind::Numeric;
    t.cuts = {0.1, 0.30000000000000004, 2.0 / 3.0};  // not floats: compared in double by apply
    t.labels = {"c0", "c1", "c2", "c3"};
    if (missing_class >= 0) t.labels.push_back("missing");
    t.missing_class = missing_class;
    t.fallback_class = 3;
    t.train_min = -1.3, t.train_max = 1.7;
    InputCoding c;
    c.variable = "x";
    c.transform = {t};
    c.n_classes = t.n_classes();
    InputCoder coder(c, schema(), "P.h5");
    ASSERT_TRUE(coder.codes_bytes());
    std::vector<float> x(3001);
    for (auto& v : x) {
      const float r = u(g);
      const float near = static_cast<float>(t.cuts[g() % 3]);
      v = r < 0.04f ? nan : r < 0.06f ? (r < 0.05f ? inf : -inf)
          : r < 0.3f ? std::nextafter(near, r < 0.15f ? -inf : inf) : r < 0.4f ? near : 1.2f * z(g);
    }
    const auto n = static_cast<std::int64_t>(x.size());
    std::vector<int> want(x.size());
    CodingCounts wc;
    coder.apply(x.data(), n, want.data(), wc);
    std::vector<std::uint8_t> got(x.size());
    std::vector<std::int64_t> classes(static_cast<std::size_t>(c.n_classes), 0);
    CodingCounts gc;
    coder.apply_bytes(x.data(), n, got.data(), gc, classes.data());
    EXPECT_EQ(std::vector<int>(got.begin(), got.end()), want) << "missing_class " << missing_class;
    EXPECT_EQ(classes, tally(want, c.n_classes));
    EXPECT_EQ(gc.missing, wc.missing);
    EXPECT_EQ(gc.nonfinite, wc.nonfinite);
    EXPECT_EQ(gc.out_of_range, wc.out_of_range);
    EXPECT_EQ(gc.unseen, wc.unseen);
    EXPECT_GT(wc.out_of_range, 0);
    EXPECT_EQ(wc.unseen, missing_class < 0 ? wc.missing : 0);
  }
  for (const int other_class : {-1, 0})
    for (const int missing_class : {-1, 1}) {
      model::VariableTransform t;
      t.kind = model::PrepKind::Categorical;
      t.levels = {"z", "a"};  // training levels; the file has a, b (schema()): b never seen
      t.level_class = {1, 0};
      t.labels = {"A", "Z", "rest"};
      t.other_class = other_class, t.missing_class = missing_class, t.fallback_class = 2;
      InputCoding c;
      c.variable = "c";
      c.categorical = true;
      c.transform = {t};
      c.n_classes = 3;
      InputCoder coder(c, schema(), "P.h5");
      ASSERT_TRUE(coder.codes_levels());
      std::vector<std::int16_t> lv(777);
      std::vector<float> raw(lv.size());
      for (std::size_t i = 0; i < lv.size(); ++i) {
        lv[i] = static_cast<std::int16_t>(static_cast<int>(g() % 3) - 1);
        raw[i] = lv[i] < 0 ? nan : static_cast<float>(lv[i]);
      }
      const auto n = static_cast<std::int64_t>(lv.size());
      std::vector<int> want(lv.size());
      CodingCounts wc;
      coder.apply(raw.data(), n, want.data(), wc);
      std::vector<std::uint8_t> got(lv.size());
      std::vector<std::int64_t> classes(3, 0);
      CodingCounts gc;
      coder.apply_levels(lv.data(), n, got.data(), gc, classes.data());
      const std::string what = "other " + std::to_string(other_class) + " missing " + std::to_string(missing_class);
      EXPECT_EQ(std::vector<int>(got.begin(), got.end()), want) << what;
      EXPECT_EQ(classes, tally(want, 3)) << what;
      EXPECT_EQ(gc.missing, wc.missing) << what;
      EXPECT_EQ(gc.unseen, wc.unseen) << what;
      EXPECT_GT(wc.unseen, 0) << what;  // level b at least
    }
}
