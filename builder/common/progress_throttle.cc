#include "builder/common/progress_throttle.h"

#include <algorithm>

namespace kiln {

ProgressThrottle::ProgressThrottle(Fn fn, std::uint64_t total, std::chrono::milliseconds interval)
    : fn_(std::move(fn)), total_(total), interval_(interval) {}

void ProgressThrottle::Update(std::uint64_t done) {
  if (!fn_) return;
  // A total that was an estimate never makes the count run backwards or past it.
  done = std::max(done, done_);
  if (total_) done = std::min(done, total_);
  done_ = done;
  if (total_ && done == total_) return Finish();  // the end is always reported
  if (reported_ && done == last_done_) return;
  if (!total_ && !done) return;  // nothing to tell yet
  const auto now = Clock::now();
  if (reported_ && now - last_ < interval_) return;
  fn_(done, total_);
  reported_ = true;
  last_done_ = done;
  last_ = now;
}

void ProgressThrottle::Finish() {
  if (!fn_) return;
  const std::uint64_t end = total_ ? total_ : done_;
  if ((reported_ && last_done_ == end) || (!total_ && !end)) return;
  done_ = end;
  fn_(end, total_);
  reported_ = true;
  last_done_ = end;
  last_ = Clock::now();
}

}  // namespace kiln
