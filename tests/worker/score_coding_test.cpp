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

TEST(ScoreCodingBytes, HandCaseCodesAndClassCounts) {
  InputCoding c;
  c.variable = "x";
  c.cuts = {1.0, 2.5};  // classes 0: x <= 1, 1: 1 < x <= 2.5, 2: x > 2.5, 3: missing
  c.lo = 0, c.hi = 10;
  c.n_classes = 4;
  c.missing_class = c.unseen_class = 3;
  InputCoder coder(c, schema(), "P.h5");
  ASSERT_TRUE(coder.codes_bytes());
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> raw = {0.5f, 1.0f, 1.5f, 2.5f, 3.0f, nan, inf, -inf, -4.0f, 11.0f};
  std::vector<std::uint8_t> codes(raw.size());
  std::vector<std::int64_t> classes(4, 100);  // added to, not overwritten
  CodingCounts n;
  coder.apply_bytes(raw.data(), static_cast<std::int64_t>(raw.size()), codes.data(), n, classes.data());
  EXPECT_EQ(codes, (std::vector<std::uint8_t>{0, 0, 1, 1, 2, 3, 3, 3, 0, 2}));
  EXPECT_EQ(classes, (std::vector<std::int64_t>{103, 102, 102, 103}));  // {0.5, 1, -4}, {1.5, 2.5}, {3, 11}, {nan, +-inf}
  EXPECT_EQ(n.missing, 1);
  EXPECT_EQ(n.nonfinite, 2);
  EXPECT_EQ(n.out_of_range, 2);
  EXPECT_EQ(n.unseen, 0);
}

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

TEST(ScoreCodingBytes, BothFormsEqualADirectTallyForEveryCutCount) {
  std::mt19937_64 g(11);
  std::normal_distribution<float> z;
  std::uniform_real_distribution<float> u;
  const float inf = std::numeric_limits<float>::infinity();
  for (int m = 0; m <= kMaxByteCuts; ++m) {
    std::vector<float> cuts;
    for (int j = 0; j < m; ++j) cuts.push_back(-2.0f + 0.25f * static_cast<float>(j));
    if (m >= 3) cuts[2] = cuts[1];  // a tie
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{1037}, std::size_t{9001}}) {
      std::vector<float> x(n);
      for (auto& v : x) {
        const float r = u(g);
        v = r < 0.05f ? std::numeric_limits<float>::quiet_NaN()
            : r < 0.08f ? (r < 0.065f ? inf : -inf)
            : r < 0.2f && m > 0 ? cuts[static_cast<std::size_t>(g() % static_cast<unsigned>(m))]
                                : 1.5f * z(g);
      }
      const float lo = -1.0f, hi = 1.25f;
      const std::uint8_t missing = static_cast<std::uint8_t>(m + 1);
      // Direct tally: the code rule of score_model.hpp, one value at a time.
      std::vector<std::uint8_t> want(n);
      NumericTally ref;
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) {
          want[i] = missing;
          ref.nan += std::isnan(x[i]) ? 1 : 0;
          continue;
        }
        ++ref.finite;
        int k = 0;
        for (int j = 0; j < m; ++j)
          if (x[i] > cuts[static_cast<std::size_t>(j)]) ++k, ++ref.above[static_cast<std::size_t>(j)];
        want[i] = static_cast<std::uint8_t>(k);
        ref.out_of_range += (x[i] < lo || x[i] > hi) ? 1 : 0;
      }
      for (const bool simd : {false, true}) {
        std::vector<std::uint8_t> got(n + 1, 0xee);  // one guard byte
        NumericTally t;
        code_numeric_bytes(x.data(), n, cuts.data(), m, lo, hi, missing, got.data(), t, simd);
        const std::string what = "m=" + std::to_string(m) + " n=" + std::to_string(n) + " simd=" + std::to_string(simd);
        EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)), want) << what;
        EXPECT_EQ(got[n], 0xee) << what;
        EXPECT_EQ(t.finite, ref.finite) << what;
        EXPECT_EQ(t.nan, ref.nan) << what;
        EXPECT_EQ(t.out_of_range, ref.out_of_range) << what;
        EXPECT_EQ(t.above, ref.above) << what;
      }
    }
  }
  if (!coding_uses_avx512()) GTEST_LOG_(INFO) << "no AVX-512 here: only the portable form was compared";
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
