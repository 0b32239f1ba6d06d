// The one tolerance rule of verify and the GPU parity tests (wuxia/compare.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "wuxia/compare.hpp"

using namespace wuxia;

TEST(Compare, ElementScaleMeasuresEachElementAgainstItsOwnReference) {
  const Tolerance tol{1e-6, 1e-3, Tolerance::Scale::Element};
  const std::vector<double> ref{1000.0, 1e-3, 0.0};
  EXPECT_TRUE(compare(std::vector<double>{1000.5, 1e-3, 1e-7}, ref, tol).ok());
  const Diff d = compare(std::vector<double>{1000.0, 1.1e-3, 0.0}, ref, tol);
  EXPECT_EQ(d.bad, 1u);
  ASSERT_EQ(d.first.size(), 1u);
  EXPECT_EQ(d.first[0].index, 1u);
  EXPECT_NE(d.describe().find("[1] got 0.0011 ref 0.001"), std::string::npos) << d.describe();
}

TEST(Compare, TensorScaleForgivesNearZeroEntriesOfALargeTensor) {
  const std::vector<double> ref{1.0, 1e-9}, got{1.0, 2e-7};
  EXPECT_FALSE(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Element}).ok());
  EXPECT_TRUE(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Tensor}).ok());
  EXPECT_NEAR(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Tensor}).rel(), 2e-7 - 1e-9, 1e-15);
}

TEST(Compare, NaNMatchesOnlyNaNAndInfinityOnlyItself) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tolerance tol{1e-6, 1e-3, Tolerance::Scale::Element};
  EXPECT_TRUE(compare(std::vector<double>{nan, inf, -inf}, std::vector<double>{nan, inf, -inf}, tol).ok());
  const Diff d = compare(std::vector<double>{1.0, -inf}, std::vector<double>{nan, inf}, tol);
  EXPECT_EQ(d.bad, 2u);
  EXPECT_TRUE(std::isinf(d.rel()));
}

TEST(Compare, SizesThatDifferAreAMismatchNotAPass) {
  const Diff d = compare(std::vector<float>{1, 2}, std::vector<float>{1, 2, 3}, Tolerance{1, 1});
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.describe().find("sizes differ"), std::string::npos);
}
