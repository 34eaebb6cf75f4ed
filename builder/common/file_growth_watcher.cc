#include "builder/common/file_growth_watcher.h"

namespace kiln {

FileGrowthWatcher::FileGrowthWatcher(std::filesystem::path file, std::function<void(std::uint64_t)> on_size,
                                     std::chrono::milliseconds interval)
    : file_(std::move(file)), on_size_(std::move(on_size)), interval_(interval) {
  if (on_size_) thread_ = std::thread([this] { Poll(); });
}

FileGrowthWatcher::~FileGrowthWatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FileGrowthWatcher::Poll() {
  std::uint64_t last = 0;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file_, ec);  // missing yet: no report
    if (ec || size == last) continue;
    last = size;
    lock.unlock();
    on_size_(size);
    lock.lock();
  }
}

}  // namespace kiln
