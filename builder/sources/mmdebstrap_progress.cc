#include "builder/sources/mmdebstrap_progress.h"

#include <charconv>
#include <string>

namespace kiln::sources {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The package name of "Unpacking libc6:amd64 (2.36-9) over ..." after the verb.
std::string PackageAfter(std::string_view line, std::size_t verb_size) {
  std::string_view rest = line.substr(verb_size);
  std::string_view name = rest.substr(0, rest.find(' '));
  return std::string(name.substr(0, name.find(':')));
}

// Stage "packages": the renderer shows counts, not sizes.
Event Packages(std::string message, std::uint64_t done, std::uint64_t total) {
  Event e;
  e.stage = "packages";
  e.message = std::move(message);
  e.done = done;
  e.total = total;
  return e;
}

}  // namespace

std::optional<Event> MmdebstrapProgress::Feed(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (StartsWith(line, "I: ")) {
    // mmdebstrap names its phases "I: running apt-get update..."; other "I:" lines (its notes,
    // or a maintainer script's, like linux-base's "I: /initrd.img is now a symlink") are not
    // phases and must not reset the package counts.
    if (line.size() < 6 || line.substr(line.size() - 3) != "...") return std::nullopt;
    downloaded_ = unpacked_ = configured_ = total_ = 0;
    std::string_view phase = line.substr(3);
    while (!phase.empty() && phase.back() == '.') phase.remove_suffix(1);
    if (phase.empty()) return std::nullopt;
    Event e;
    e.stage = "sources";
    e.message = "mmdebstrap: " + std::string(phase);
    return e;
  }
  if (StartsWith(line, "Get:")) {
    // "Get:12 http://deb.debian.org/debian bookworm/main amd64 libc6 amd64 2.36-9 [2757 kB]":
    // package lists are fetched the same way; only lines naming a package version count.
    std::string_view rest = line.substr(line.find(' ') == std::string_view::npos ? line.size() : line.find(' ') + 1);
    std::size_t fields = 0, pos = 0;
    std::string_view pkg;
    while (pos < rest.size()) {
      std::size_t end = rest.find(' ', pos);
      if (end == std::string_view::npos) end = rest.size();
      if (++fields == 4) pkg = rest.substr(pos, end - pos);
      pos = end + 1;
    }
    if (fields < 6 || line.back() != ']') return std::nullopt;
    ++downloaded_;
    return Packages("downloading " + std::string(pkg), downloaded_, total_);
  }
  if (StartsWith(line, "Unpacking ")) {
    ++unpacked_;
    return Packages("unpacking " + PackageAfter(line, 10), unpacked_, total_);
  }
  if (StartsWith(line, "Setting up ")) {
    ++configured_;
    return Packages("configuring " + PackageAfter(line, 11), configured_, total_);
  }
  // "0 upgraded, 85 newly installed, 0 to remove and 0 not upgraded."
  std::size_t at = line.find(" newly installed");
  if (at != std::string_view::npos) {
    std::size_t comma = line.rfind(", ", at);
    std::string_view n = line.substr(comma == std::string_view::npos ? 0 : comma + 2,
                                     at - (comma == std::string_view::npos ? 0 : comma + 2));
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec == std::errc() && p == n.data() + n.size()) total_ = v;
  }
  return std::nullopt;
}

}  // namespace kiln::sources
