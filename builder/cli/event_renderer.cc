#include "builder/cli/event_renderer.h"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/common/size.h"
#include "builder/common/text_escape.h"

namespace kiln::cli {

EventRenderer::EventRenderer(bool json, bool quiet)
    : json_(json), quiet_(quiet), tty_(::isatty(2) == 1) {}

void EventRenderer::Flush() {
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

void EventRenderer::operator()(const Event& e) {
  if (json_) {
    nlohmann::json j = {{"event", e.total || e.done ? "progress" : "log"}, {"stage", e.stage},
                        {"message", e.message}};
    if (e.total || e.done) {
      j["done"] = e.done;
      j["total"] = e.total;
    }
    std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  if (quiet_) return;
  bool progress = e.total != 0 || e.done != 0;
  if (progress) {
    if (!tty_) return;  // progress lines only make sense on a terminal
    auto now = std::chrono::steady_clock::now();
    if (e.done != e.total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::string amount = e.total ? FormatSize(e.done) + " / " + FormatSize(e.total) : FormatSize(e.done);
    int pct = e.total ? static_cast<int>(100.0 * static_cast<double>(e.done) / static_cast<double>(e.total)) : 0;
    std::fprintf(stderr, "\r\033[K[%s] %s %s (%d%%)", e.stage.c_str(), EscapeMessageForTerminal(e.message).c_str(), amount.c_str(), pct);
    line_open_ = true;
    return;
  }
  Flush();
  std::fprintf(stderr, "[%s] %s\n", e.stage.c_str(), EscapeMessageForTerminal(e.message).c_str());
}

}  // namespace kiln::cli
