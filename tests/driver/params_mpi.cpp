// Job parameters: validated on rank 0 and broadcast serialized, so every rank runs with rank 0's
// values, or every rank gets the same error.
#include <gtest/gtest.h>

#include <boost/serialization/vector.hpp>

#include "driver/command.hpp"

using namespace dmde;

namespace {
struct P {
  int replicates = 300;
  double slentry = 0.05;
  std::vector<std::string> effects;
  Eigen::VectorXd w;
  void validate() const {
    if (replicates < 1) throw InputError("--replicates must be >= 1");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & replicates & slentry & effects & w;
  }
};
}  // namespace

TEST(ParamsMpi, RankZeroValuesReachEveryRank) {
  Comm comm;
  P p;
  if (comm.is_root()) {
    p.replicates = 17;
    p.slentry = 0.1 / 3.0;
    p.effects = {"a", "b*c"};
    p.w = Eigen::Vector3d(1.0, NAN, -0.0);
  }
  driver::share_params(comm, p);
  EXPECT_EQ(p.replicates, 17);
  EXPECT_EQ(p.slentry, 0.1 / 3.0);
  EXPECT_EQ(p.effects, (std::vector<std::string>{"a", "b*c"}));
  ASSERT_EQ(p.w.size(), 3);
  EXPECT_TRUE(std::isnan(p.w[1]));
}

TEST(ParamsMpi, ValidationErrorIsRaisedOnEveryRank) {
  Comm comm;
  P p;
  if (comm.is_root()) p.replicates = 0;  // only rank 0's values are validated
  try {
    driver::share_params(comm, p);
    FAIL() << "expected SharedInputError";
  } catch (const driver::SharedInputError& e) {
    EXPECT_STREQ(e.what(), "--replicates must be >= 1");
  }
}
