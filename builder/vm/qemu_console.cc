#include "builder/vm/qemu_console.h"

#include <algorithm>

namespace kiln::vm {

std::string CleanConsoleLine(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == 0x1b) {
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        // CSI: parameters and intermediates, then one final byte in 0x40..0x7e.
        std::size_t j = i + 2;
        while (j < raw.size() && !(raw[j] >= 0x40 && raw[j] <= 0x7e)) ++j;
        i = j;
      } else if (i + 1 < raw.size() && raw[i + 1] == ']') {
        // OSC: up to BEL or ST ("\e\\").
        std::size_t j = i + 2;
        while (j < raw.size() && raw[j] != '\a' && !(raw[j] == 0x1b && j + 1 < raw.size() && raw[j + 1] == '\\')) ++j;
        i = (j < raw.size() && raw[j] == 0x1b) ? j + 1 : j;
      } else {
        ++i;  // two-byte escape such as "\e(B" keeps its argument out: skip one more below
        if (i < raw.size() && (raw[i] == '(' || raw[i] == ')')) ++i;
      }
      continue;
    }
    if (c == '\t' || c >= 0x20) out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

std::vector<std::string> ConsoleLineBuffer::Feed(std::string_view chunk) {
  std::vector<std::string> lines;
  pending_.append(chunk);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(pending_.substr(start, nl - start));
  pending_.erase(0, start);
  return lines;
}

std::optional<std::string> ConsoleLineBuffer::TakeRest() {
  if (pending_.empty()) return std::nullopt;
  return std::exchange(pending_, {});
}

namespace {

ConsolePattern P(std::string id, std::string reason, const char* re, bool icase = false) {
  auto flags = std::regex::ECMAScript | std::regex::optimize;
  if (icase) flags |= std::regex::icase;
  return ConsolePattern{std::move(id), std::move(reason), std::regex(re, flags)};
}

}  // namespace

ConsolePatterns DefaultConsolePatterns() {
  ConsolePatterns p;
  // systemd >= 250 prints "Reached target multi-user.target - Multi-User System."; older ones
  // "Reached target Multi-User System.". The kiln-boot line is for images without systemd's
  // status output (a unit may echo it to the console).
  p.ready.push_back(P("ready", "reached the default target",
                      R"(Reached target .*(Multi-User System|Graphical Interface))"));
  p.ready.push_back(P("ready", "reached the default target", R"(kiln-boot: default target reached)"));

  p.failure.push_back(P("emergency", "the guest entered emergency mode", R"(You are in (emergency|rescue) mode)"));
  p.failure.push_back(P("emergency", "the guest entered emergency mode (root password prompt)",
                        R"(Give root password for maintenance)"));
  p.failure.push_back(P("emergency", "the guest entered emergency mode (console locked)",
                        R"(Cannot open access to console)"));
  p.failure.push_back(P("panic", "kernel panic", R"(Kernel panic - not syncing)"));
  p.failure.push_back(P("sysroot", "the root file system could not be mounted", R"(Failed to mount .*sysroot)"));
  // Kernel: "device-mapper: verity: 254:0: data block 3 is corrupted"; systemd-veritysetup and
  // dm-verity's "reached maximum errors" variants say "corrupt" too.
  p.failure.push_back(P("verity", "dm-verity found corrupted data", R"(verity.*corrupt)", true));
  // OVMF falls back to its internal shell (or gives up) when no boot option worked.
  p.failure.push_back(P("firmware", "the firmware found nothing to boot (fell back to the UEFI shell)",
                        R"(UEFI Interactive Shell|No bootable option or device was found)"));
  p.failure.push_back(P("firmware", "Secure Boot refused the boot loader", R"(BdsDxe: failed to load .*Access Denied)"));
  return p;
}

Result<std::regex> CompilePattern(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return MakeError(ErrorCode::kUsage, "bad regular expression '" + pattern + "': " + e.what());
  }
}

ConsoleWatcher::ConsoleWatcher(ConsolePatterns patterns, std::vector<std::regex> expect,
                               std::vector<std::string> allowed_failures, std::size_t tail_lines)
    : patterns_(std::move(patterns)),
      expect_(std::move(expect)),
      expect_met_(expect_.size(), false),
      allowed_(std::move(allowed_failures)),
      tail_max_(tail_lines) {}

ConsoleVerdict ConsoleWatcher::Observe(const std::string& line) {
  ++lines_seen_;
  tail_.push_back(line);
  while (tail_.size() > tail_max_) tail_.pop_front();

  for (const auto& f : patterns_.failure) {
    if (std::find(allowed_.begin(), allowed_.end(), f.id) != allowed_.end()) continue;
    if (std::regex_search(line, f.regex)) return {ConsoleSignal::kFailure, f.id, f.reason, line};
  }
  for (std::size_t i = 0; i < expect_.size(); ++i)
    if (!expect_met_[i] && std::regex_search(line, expect_[i])) expect_met_[i] = true;
  if (!ready_line_) {
    for (const auto& r : patterns_.ready)
      if (std::regex_search(line, r.regex)) {
        ready_line_ = line;
        break;
      }
  }
  if (ready_line_ && UnmetExpectations().empty())
    return {ConsoleSignal::kReady, "ready", "reached the default target", *ready_line_};
  return {};
}

std::vector<std::size_t> ConsoleWatcher::UnmetExpectations() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < expect_met_.size(); ++i)
    if (!expect_met_[i]) out.push_back(i);
  return out;
}

}  // namespace kiln::vm
