// Weighted association and average-linkage clustering against R (data/prep_reference.R).
#include <gtest/gtest.h>

#include <cmath>

#include "model/association.hpp"

using namespace dmde::model;

TEST(Association, WeightedPearsonCompletePairsMatchesR) {
  const double NaN = std::nan("");
  Eigen::VectorXd x(6), z(6), w(6);
  x << 1, 2, NaN, 4, 5, 6;
  z << 2, 1, 3, 5, NaN, 7;
  w << 1, 2, 1, 1, 1, 0.5;
  EXPECT_NEAR(weighted_pearson(x, z, w), 0.903996420589968, 1e-12);
  EXPECT_TRUE(std::isnan(weighted_pearson(x, Eigen::VectorXd::Constant(6, 3.0), w)));
}

TEST(Association, CramersVMatchesR) {
  Eigen::VectorXi a(8), b(8);
  Eigen::VectorXd w(8);
  a << 0, 0, 1, 1, 2, 2, 0, 1;
  b << 0, 1, 0, 1, 1, 1, 0, 0;
  w << 1, 1, 2, 1, 1, 3, 1, 1;
  EXPECT_NEAR(cramers_v(a, 3, b, 2, w), 0.693221144769514, 1e-12);
  EXPECT_NEAR(cramers_v(a, 3, a, 3, w), 1.0, 1e-12);
  EXPECT_EQ(cramers_v(a, 3, Eigen::VectorXi::Zero(8), 1, w), 0.0);
}

TEST(Association, AverageLinkageMatchesRHclust) {
  Eigen::Matrix3d d;
  d << 0, 0.1, 0.35, 0.1, 0, 0.15, 0.35, 0.15, 0;
  // hclust(average) merges {0,1} at 0.1 then {01,2} at 0.25: one cluster at 0.3 (complete linkage would give two).
  EXPECT_EQ(average_linkage_clusters(d, 0.3), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(average_linkage_clusters(d, 0.2), (std::vector<int>{0, 0, 1}));
  Eigen::Matrix4d e;
  e << 0, 0.9, 0.1, 0.9, 0.9, 0, 0.9, 0.2, 0.1, 0.9, 0, 0.9, 0.9, 0.2, 0.9, 0;
  EXPECT_EQ(average_linkage_clusters(e, 0.3), (std::vector<int>{0, 1, 0, 1}));
}

TEST(Association, RepresentativeIsStrongestMember) {
  EXPECT_EQ(cluster_representatives({0, 0, 1, 0}, {1, 3, 2, 3}), (std::vector<int>{1, 2}));
}

TEST(Association, BlockProductsMatchPairwiseDefinitions) {
  // 5 numeric columns (with missing values and one constant) and 3 categorical ones.
  const int n = 300, m = 8;
  Eigen::MatrixXd raw(n, m);
  Eigen::MatrixXi codes(n, m);
  Eigen::VectorXd w(n);
  std::vector<int> k{3, 3, 3, 3, 2, 4, 3, 2};
  std::vector<bool> numeric{true, true, true, true, true, false, false, false};
  for (int r = 0; r < n; ++r) {
    w[r] = 0.5 + (r * 7 % 11) / 5.0;
    const double base = std::sin(r * 0.37);
    raw(r, 0) = base;
    raw(r, 1) = r % 9 == 0 ? std::nan("") : base + 0.3 * std::cos(r * 1.3);
    raw(r, 2) = r % 4 == 0 ? std::nan("") : (r * 13 % 17) * 1000.0;
    raw(r, 3) = -2.0 * base + 5.0;
    raw(r, 4) = 7.0;
    for (int c = 0; c < m; ++c) {
      codes(r, c) = (c < 5) ? (r * (c + 2)) % k[static_cast<std::size_t>(c)] : (r / (c + 1)) % k[static_cast<std::size_t>(c)];
      if (c >= 5) raw(r, c) = codes(r, c);
    }
  }
  const Eigen::MatrixXd a = association_block(codes, k, raw, numeric, w, 0, m, 0, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double expect = 1.0;
      if (i != j && numeric[static_cast<std::size_t>(i)] && numeric[static_cast<std::size_t>(j)]) {
        const double r = weighted_pearson(raw.col(i), raw.col(j), w);
        expect = std::isnan(r) ? 0.0 : std::abs(r);
      } else if (i != j) {
        expect = cramers_v(codes.col(i), k[static_cast<std::size_t>(i)], codes.col(j), k[static_cast<std::size_t>(j)], w);
      }
      EXPECT_NEAR(a(i, j), expect, 1e-10) << i << "," << j;
    }
  EXPECT_NEAR(a(0, 3), 1.0, 1e-12);  // exact linear relation
  EXPECT_EQ(a(0, 4), 0.0);           // constant column
  // An off-diagonal block equals the same entries of the full block.
  const Eigen::MatrixXd b = association_block(codes, k, raw, numeric, w, 1, 4, 3, 8);
  EXPECT_TRUE(b.isApprox(a.block(1, 3, 3, 5), 1e-12));
}
