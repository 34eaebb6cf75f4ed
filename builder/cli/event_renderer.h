// Renders build events for a person (one updating line on a terminal, plain lines otherwise)
// or as JSON lines on stderr (--json), so CI systems can follow long builds.
#pragma once

#include <chrono>
#include <string>

#include "builder/common/build_context.h"

namespace kiln::cli {

class EventRenderer {
 public:
  EventRenderer(bool json, bool quiet);
  void operator()(const Event& event);
  // Ends an in-place progress line before other output.
  void Flush();

 private:
  bool json_;
  bool quiet_;
  bool tty_;
  bool line_open_ = false;
  std::string last_stage_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace kiln::cli
