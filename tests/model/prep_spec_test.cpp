// The preprocessing spec: serialization round trip (versioned), float path = double path,
// re-indexing of levels by name.
#include <gtest/gtest.h>

#include <cmath>

#include "core/serialize.hpp"
#include "model/prep_rules.hpp"

using namespace dmde::model;

namespace {
PrepSpec make_spec() {
  const int n = 400;
  Eigen::VectorXd x(n), c(n), y(n), w = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < n; ++i) {
    x[i] = i % 7 == 0 ? std::nan("") : (i * 37 % 101) / 10.0;
    c[i] = i % 11 == 0 ? std::nan("") : i % 3;
    y[i] = (x[i] > 5.0) != (i % 5 == 0);
  }
  PrepSpec s;
  s.target = "t";
  s.vars.push_back(bin_numeric("x", x, y, w, PrepOptions{}));
  s.vars.push_back(group_levels("c", c, {"a", "b", "c"}, y, w, PrepOptions{}));
  return s;
}
}  // namespace

TEST(PrepSpec, RoundTripIsExact) {
  const PrepSpec s = make_spec();
  ASSERT_GE(s.vars[0].n_classes(), 2);
  PrepSpec r;
  dmde::from_bytes(dmde::to_bytes(s), r);
  EXPECT_EQ(r.version, PrepSpec::kVersion);
  EXPECT_EQ(r.target, "t");
  ASSERT_EQ(r.vars.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.vars[i].cuts, s.vars[i].cuts);
    EXPECT_EQ(r.vars[i].labels, s.vars[i].labels);
    EXPECT_EQ(r.vars[i].level_class, s.vars[i].level_class);
    EXPECT_EQ(r.vars[i].missing_class, s.vars[i].missing_class);
    EXPECT_EQ(r.vars[i].fallback_class, s.vars[i].fallback_class);
    EXPECT_EQ(r.vars[i].kind, s.vars[i].kind);
  }
  EXPECT_EQ(r.find("c"), 1);
  EXPECT_EQ(r.find("nope"), -1);
  EXPECT_THROW(dmde::from_bytes(std::string("garbage"), r), dmde::Error);
}

TEST(PrepSpec, FloatPathEqualsDoublePath) {
  const PrepSpec spec = make_spec();
  const auto& t = spec.vars[0];
  Eigen::VectorXd d(2000);
  for (Eigen::Index i = 0; i < d.size(); ++i) d[i] = i % 13 == 0 ? std::nan("") : static_cast<float>(-2.0 + i * 0.0071);
  Eigen::VectorXi a(d.size()), b(d.size());
  const auto na = t.apply(d, a);
  const auto nb = t.apply(Eigen::VectorXf(d.cast<float>()), b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(na.out_of_range, nb.out_of_range);
  EXPECT_GT(na.out_of_range, 0);
  for (Eigen::Index i = 0; i < d.size(); ++i) ASSERT_EQ(a[i], t.code(d[i]));
}

TEST(PrepSpec, WithLevelsMatchesByName) {
  const auto t = make_spec().vars[1];
  const auto u = t.with_levels({"c", "zz", "a"});
  EXPECT_EQ(u.code(0), t.code(2));
  EXPECT_EQ(u.code(2), t.code(0));
  EXPECT_EQ(u.level_class[1], -1);
  EXPECT_EQ(u.code(1), t.other_class >= 0 ? t.other_class : t.fallback_class);
}

TEST(PrepSpec, ValidateRejectsBadCuts) {
  auto t = make_spec().vars[0];
  t.cuts = {2.0, 1.0};
  EXPECT_THROW(t.validate(), std::invalid_argument);
}
