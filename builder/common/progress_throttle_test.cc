#include "builder/common/progress_throttle.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace kiln {
namespace {

using Reports = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

ProgressThrottle::Fn Collect(Reports& into) {
  return [&into](std::uint64_t done, std::uint64_t total) { into.emplace_back(done, total); };
}

TEST(ProgressThrottle, ReportsFirstAndLastOnlyWithinOneInterval) {
  Reports got;
  ProgressThrottle t(Collect(got), 100, std::chrono::hours(1));
  for (std::uint64_t d = 0; d <= 100; d += 10) t.Update(d);
  t.Finish();
  EXPECT_EQ(got, (Reports{{0, 100}, {100, 100}}));
}

TEST(ProgressThrottle, WithoutIntervalEveryChangeIsReportedOnce) {
  Reports got;
  ProgressThrottle t(Collect(got), 30, std::chrono::milliseconds(0));
  t.Update(10);
  t.Update(10);
  t.Add(10);
  t.Update(5);  // never backwards
  t.Update(30);
  t.Finish();
  EXPECT_EQ(got, (Reports{{10, 30}, {20, 30}, {30, 30}}));
}

TEST(ProgressThrottle, EstimatedTotalIsNeverPassed) {
  Reports got;
  ProgressThrottle t(Collect(got), 50, std::chrono::milliseconds(0));
  t.Update(80);
  t.Update(90);
  EXPECT_EQ(got, (Reports{{50, 50}}));
}

TEST(ProgressThrottle, FinishWithUnknownTotalReportsWhatWasDone) {
  Reports got;
  ProgressThrottle t(Collect(got), 0, std::chrono::hours(1));
  t.Update(1);
  t.Update(7);
  t.Finish();
  t.Finish();
  EXPECT_EQ(got, (Reports{{1, 0}, {7, 0}}));
}

TEST(ProgressThrottle, EmptyCallbackIsANoOp) {
  ProgressThrottle t({}, 10);
  t.Update(5);
  t.Finish();
}

}  // namespace
}  // namespace kiln
