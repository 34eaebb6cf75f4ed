// Watches a file another party writes (a tool streaming into it, such as libguestfs's tar-out)
// and reports its size as progress while it grows: a thread polls the size every `interval`
// and calls `on_size` when it changed. The call happens on that thread; the watcher stops and
// joins it when destroyed, so `on_size` must outlive the watcher. Never touches the file.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

namespace kiln {

class FileGrowthWatcher {
 public:
  FileGrowthWatcher(std::filesystem::path file, std::function<void(std::uint64_t size)> on_size,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~FileGrowthWatcher();
  FileGrowthWatcher(const FileGrowthWatcher&) = delete;
  FileGrowthWatcher& operator=(const FileGrowthWatcher&) = delete;

 private:
  void Poll();

  std::filesystem::path file_;
  std::function<void(std::uint64_t)> on_size_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it reads is initialised
};

}  // namespace kiln
