// Renders build events for a person or as JSON lines on stderr (--json), so CI systems can
// follow long builds. On a terminal the current step is one updating line: its stage, message,
// what is done (a bar when the total is known) and the elapsed time, redrawn every second by a
// ticker even while a tool (mmdebstrap, libguestfs, QEMU) is silent; the line is kept when the
// next step starts, so the log shows how long each took. Elsewhere: plain lines, progress at
// most every 10 seconds. JSON lines carry every log event but a stage's progress at most every
// 250 ms (and always its end, and its latest count before anything else is printed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "builder/common/build_context.h"

namespace kiln::cli {

class EventRenderer {
 public:
  EventRenderer(bool json, bool quiet);
  // For tests: `tty` chooses the terminal rendering, output goes to `out`, the ticker redraws
  // every `tick`.
  EventRenderer(bool json, bool quiet, bool tty, std::FILE* out, std::chrono::milliseconds tick);
  ~EventRenderer();
  EventRenderer(const EventRenderer&) = delete;
  EventRenderer& operator=(const EventRenderer&) = delete;

  void operator()(const Event& event);
  // Ends the updating line before other output; the ticker stays idle until the next event.
  void Flush();

 private:
  using Clock = std::chrono::steady_clock;
  void DrawLocked();
  void FlushLocked();
  void JsonLocked(const Event& e, Clock::time_point now);
  void PrintJsonLocked(const Event& e);
  void Tick();

  bool json_;
  bool quiet_;
  bool tty_;
  std::FILE* out_;
  std::chrono::milliseconds tick_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool line_open_ = false;   // the current step's line is on screen without its newline
  Event current_;            // what that line shows
  Clock::time_point step_start_{};
  Clock::time_point last_draw_{};
  Clock::time_point last_plain_progress_{};
  std::string last_plain_stage_;
  std::string json_stage_;              // stage of the last progress line printed as JSON
  Clock::time_point last_json_{};
  std::optional<Event> json_pending_;   // progress held back by the rate limit
  std::thread ticker_;       // only on a terminal
};

// "[squashfs] writing the root file system  [#####     ] 12.0M / 24.0M  50%  1m05s": the text
// of a terminal progress line (no control characters), `width` columns at most.
std::string FormatProgressLine(const Event& e, std::chrono::seconds elapsed, std::size_t width);
std::string FormatElapsed(std::chrono::seconds s);

}  // namespace kiln::cli
