// Rate-limits a long step's progress reports (bytes or items done of a known total) so event
// streams and terminals are not flooded: the first report, then at most one per interval,
// and always the last (done == total), exactly once. Reports only ever increase; with an
// unknown total, nothing is reported before something is done. Progress
// never feeds back into what a step writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace kiln {

class ProgressThrottle {
 public:
  using Fn = std::function<void(std::uint64_t done, std::uint64_t total)>;
  static constexpr std::chrono::milliseconds kDefaultInterval{250};

  // An empty `fn` makes every call a no-op. `total` 0: unknown.
  ProgressThrottle(Fn fn, std::uint64_t total, std::chrono::milliseconds interval = kDefaultInterval);

  void Update(std::uint64_t done);
  void Add(std::uint64_t delta) { Update(done_ + delta); }
  // Reports `total` (or what was done, when the total is unknown) unless that was the last report.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  Fn fn_;
  std::uint64_t total_;
  std::chrono::milliseconds interval_;
  std::uint64_t done_ = 0;
  bool reported_ = false;        // anything reported yet
  std::uint64_t last_done_ = 0;  // what the last report said
  Clock::time_point last_{};
};

}  // namespace kiln
