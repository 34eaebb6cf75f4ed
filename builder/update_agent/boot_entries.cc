#include "builder/update_agent/boot_entries.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "builder/common/unique_fd.h"

namespace kiln::update_agent {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".efi";
constexpr std::string_view kTemporaryPrefix = ".kiln-update-";
constexpr std::string_view kTemporarySuffix = ".tmp";

std::optional<int> SmallNumber(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool IsVersionText(std::string_view v) {
  if (v.empty() || v.size() > 128) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '~' || c == '^' || c == '-';
  });
}

}  // namespace

std::optional<BootEntry> ParseEntryName(std::string_view name, std::string_view image) {
  if (!name.ends_with(kSuffix)) return std::nullopt;
  std::string_view stem = name.substr(0, name.size() - kSuffix.size());
  BootEntry e;
  e.file_name = std::string(name);
  if (auto plus = stem.rfind('+'); plus != std::string_view::npos) {
    std::string_view counter = stem.substr(plus + 1);
    std::string_view left = counter, done;
    if (auto dash = counter.find('-'); dash != std::string_view::npos) {
      left = counter.substr(0, dash);
      done = counter.substr(dash + 1);
      e.tries_done = SmallNumber(done);
      if (!e.tries_done) return std::nullopt;
    }
    e.tries_left = SmallNumber(left);
    if (!e.tries_left) return std::nullopt;
    stem = stem.substr(0, plus);
  }
  if (stem.size() <= image.size() + 1 || !stem.starts_with(image) || stem[image.size()] != '_') return std::nullopt;
  std::string_view version = stem.substr(image.size() + 1);
  if (!IsVersionText(version)) return std::nullopt;
  e.version = std::string(version);
  return e;
}

std::string EntryFileName(std::string_view image, std::string_view version, std::optional<int> tries_left,
                          std::optional<int> tries_done) {
  std::string name = std::string(image) + "_" + std::string(version);
  if (tries_left) {
    name += "+" + std::to_string(*tries_left);
    if (tries_done) name += "-" + std::to_string(*tries_done);
  }
  return name + std::string(kSuffix);
}

Result<std::vector<BootEntry>> ListEntries(const fs::path& esp, std::string_view image) {
  std::vector<BootEntry> entries;
  const fs::path dir = esp / kEntryDirectory;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (auto e = ParseEntryName(it->path().filename().string(), image)) entries.push_back(std::move(*e));
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list " + dir.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const BootEntry& a, const BootEntry& b) { return a.file_name < b.file_name; });
  return entries;
}

std::optional<BootEntry> FindEntry(const std::vector<BootEntry>& entries, std::string_view version) {
  for (const auto& e : entries)
    if (e.version == version) return e;
  return std::nullopt;
}

Status SyncDirectory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0)
    return MakeError(ErrorCode::kIo, "cannot sync " + dir.string() + ": " + std::strerror(errno));
  return OkStatus();
}

Status RemoveEntriesOf(const fs::path& esp, std::string_view image, std::string_view version) {
  KILN_ASSIGN_OR_RETURN(auto entries, ListEntries(esp, image));
  bool removed = false;
  for (const auto& e : entries) {
    if (e.version != version) continue;
    const fs::path p = esp / kEntryDirectory / e.file_name;
    if (::unlink(p.c_str()) != 0)
      return MakeError(ErrorCode::kIo, "cannot remove " + p.string() + ": " + std::strerror(errno));
    removed = true;
  }
  if (removed) return SyncDirectory(esp / kEntryDirectory);
  return OkStatus();
}

Status RenameEntry(const fs::path& esp, std::string_view from, std::string_view to) {
  const fs::path dir = esp / kEntryDirectory;
  if (::rename((dir / from).c_str(), (dir / to).c_str()) != 0)
    return MakeError(ErrorCode::kIo, "cannot rename " + (dir / from).string() + " to " + std::string(to) + ": " +
                                         std::strerror(errno));
  return SyncDirectory(dir);
}

std::string TemporaryEntryName(std::string_view final_name) {
  return std::string(kTemporaryPrefix) + std::string(final_name) + std::string(kTemporarySuffix);
}

Status RemoveTemporaryEntries(const fs::path& esp) {
  const fs::path dir = esp / kEntryDirectory;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return OkStatus();
  bool removed = false;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kTemporaryPrefix) || !name.ends_with(kTemporarySuffix)) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT)
      return MakeError(ErrorCode::kIo, "cannot remove " + it->path().string() + ": " + std::strerror(errno));
    removed = true;
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list " + dir.string() + ": " + ec.message());
  return removed ? SyncDirectory(dir) : OkStatus();
}

}  // namespace kiln::update_agent
