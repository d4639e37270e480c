#pragma once
// Internal to the score kernels (dense in hypothesis.cpp, class codes in class_score.cpp).
#include <Eigen/Core>

#include "model/hypothesis.hpp"

namespace dmde::model::detail {

/// Score test of one candidate block from its raw information I = Z_b'VZ_b (k x k, overwritten):
/// subtracts the part the model explains, A_b' cov A_b (A = X'VZ, CA = cov A, block = columns
/// [c0, c0 + k)), then U_b' I^+ U_b with df = rank; a column with no information left is dropped.
ChiSqTest block_test(Eigen::MatrixXd& I, const Eigen::MatrixXd& A, const Eigen::MatrixXd& CA,
                     const Eigen::VectorXd& U, Eigen::Index c0, Eigen::Index k);

}  // namespace dmde::model::detail
