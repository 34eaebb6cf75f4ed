#include "builder/common/file_growth_watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <vector>

#include "builder/common/files.h"

namespace kiln {
namespace {

using namespace std::chrono_literals;

TEST(FileGrowthWatcher, ReportsTheSizeWhileAFileGrowsAndStopsWhenDestroyed) {
  TempDir dir = TempDir::Create({}, "kiln-watch-test").value();
  const auto file = dir.path() / "growing";
  std::mutex mu;
  std::vector<std::uint64_t> sizes;
  {
    FileGrowthWatcher w(file, [&](std::uint64_t s) {
      std::lock_guard lock(mu);
      sizes.push_back(s);
    }, 10ms);
    std::this_thread::sleep_for(30ms);  // not there yet: nothing reported
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 5; ++i) {
      out << std::string(1000, 'x') << std::flush;
      std::this_thread::sleep_for(40ms);
    }
  }
  std::lock_guard lock(mu);
  ASSERT_GE(sizes.size(), 3u);
  for (std::size_t i = 1; i < sizes.size(); ++i) EXPECT_GT(sizes[i], sizes[i - 1]);
  EXPECT_EQ(sizes.back(), 5000u);
  const std::size_t after = sizes.size();
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(sizes.size(), after) << "reports after the watcher ended";
}

}  // namespace
}  // namespace kiln
