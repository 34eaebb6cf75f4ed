#include "builder/cli/event_renderer.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "builder/common/size.h"
#include "builder/common/text_escape.h"

namespace kiln::cli {

namespace {

bool IsProgress(const Event& e) { return e.total != 0 || e.done != 0; }

// Progress of items (packages) is counted; of bytes, sized. Stages that count items say so.
std::string Amount(const Event& e) {
  bool items = e.stage == "packages";
  auto fmt = [&](std::uint64_t v) { return items ? std::to_string(v) : FormatSize(v); };
  return e.total ? fmt(e.done) + " / " + fmt(e.total) : fmt(e.done);
}

std::size_t TerminalWidth(std::FILE* out) {
  winsize ws{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 80;
}

}  // namespace

std::string FormatElapsed(std::chrono::seconds s) {
  long long t = s.count();
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", t / 3600, t / 60 % 60, t % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%llds", t);
  return buf;
}

std::string FormatProgressLine(const Event& e, std::chrono::seconds elapsed, std::size_t width) {
  std::string tail;
  if (IsProgress(e)) {
    tail += "  ";
    if (e.total) {
      constexpr int kBar = 20;
      std::uint64_t done = std::min(e.done, e.total);
      int filled = static_cast<int>(kBar * static_cast<double>(done) / static_cast<double>(e.total));
      tail += "[" + std::string(static_cast<std::size_t>(filled), '#') +
              std::string(static_cast<std::size_t>(kBar - filled), ' ') + "] ";
      tail += Amount(e) + "  " + std::to_string(100 * done / e.total) + "%";
    } else {
      tail += Amount(e);
    }
  }
  tail += "  " + FormatElapsed(elapsed);
  std::string head = "[" + e.stage + "] " + EscapeMessageForTerminal(e.message);
  // The message gives way to the numbers when the terminal is narrow.
  if (head.size() + tail.size() > width && width > tail.size() + 4)
    head = head.substr(0, width - tail.size() - 3) + "...";
  return head + tail;
}

EventRenderer::EventRenderer(bool json, bool quiet)
    : EventRenderer(json, quiet, ::isatty(2) == 1, stderr, std::chrono::milliseconds(1000)) {}

EventRenderer::EventRenderer(bool json, bool quiet, bool tty, std::FILE* out, std::chrono::milliseconds tick)
    : json_(json), quiet_(quiet), tty_(tty), out_(out), tick_(tick) {
  if (tty_ && !json_ && !quiet_) ticker_ = std::thread([this] { Tick(); });
}

EventRenderer::~EventRenderer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  Flush();
}

void EventRenderer::Tick() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, tick_);
    if (!stopping_ && line_open_ && Clock::now() - last_draw_ >= tick_ / 2) DrawLocked();
  }
}

void EventRenderer::DrawLocked() {
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - step_start_);
  std::string line = FormatProgressLine(current_, elapsed, TerminalWidth(out_) - 1);
  std::fprintf(out_, "\r\033[K%s", line.c_str());
  std::fflush(out_);
  last_draw_ = Clock::now();
  line_open_ = true;
}

void EventRenderer::PrintJsonLocked(const Event& e) {
  const bool progress = IsProgress(e);
  nlohmann::json j = {{"event", progress ? "progress" : "log"}, {"stage", e.stage}, {"message", e.message}};
  if (progress) {
    j["done"] = e.done;
    j["total"] = e.total;
  }
  std::fprintf(out_, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void EventRenderer::JsonLocked(const Event& e, Clock::time_point now) {
  constexpr auto kJsonInterval = std::chrono::milliseconds(250);
  const bool progress = IsProgress(e);
  if (progress && e.done != e.total && e.stage == json_stage_ && now - last_json_ < kJsonInterval) {
    json_pending_ = e;  // superseded by the stage's next count, printed before anything else
    return;
  }
  if (json_pending_ && (!progress || json_pending_->stage != e.stage)) PrintJsonLocked(*json_pending_);
  json_pending_.reset();
  PrintJsonLocked(e);
  json_stage_ = progress ? e.stage : "";
  last_json_ = now;
}

void EventRenderer::FlushLocked() {
  if (json_pending_) {
    PrintJsonLocked(*json_pending_);
    json_pending_.reset();
  }
  if (line_open_) {
    std::fputc('\n', out_);
    std::fflush(out_);
    line_open_ = false;
  }
}

void EventRenderer::Flush() {
  std::lock_guard lock(mu_);
  FlushLocked();
}

void EventRenderer::operator()(const Event& e) {
  std::lock_guard lock(mu_);
  const bool progress = IsProgress(e);
  if (json_) return JsonLocked(e, Clock::now());
  if (quiet_) return;
  const auto now = Clock::now();
  if (!tty_) {
    // Plain lines: every log line; progress when a stage starts reporting, then every 10 s.
    if (progress) {
      if (e.stage == last_plain_stage_ && now - last_plain_progress_ < std::chrono::seconds(10)) return;
      last_plain_stage_ = e.stage;
      last_plain_progress_ = now;
      std::fprintf(out_, "[%s] %s (%s)\n", e.stage.c_str(), EscapeMessageForTerminal(e.message).c_str(), Amount(e).c_str());
    } else {
      last_plain_stage_.clear();
      std::fprintf(out_, "[%s] %s\n", e.stage.c_str(), EscapeMessageForTerminal(e.message).c_str());
    }
    return;
  }
  // A log line starts a new step; progress continues the current one (same stage) or starts one.
  bool new_step = !progress || !line_open_ || e.stage != current_.stage;
  if (new_step) {
    FlushLocked();
    step_start_ = now;
  } else if (e.done != e.total && now - last_draw_ < std::chrono::milliseconds(100)) {
    current_ = e;  // drawn by the next event or tick
    return;
  }
  current_ = e;
  DrawLocked();
}

}  // namespace kiln::cli
