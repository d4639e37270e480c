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
