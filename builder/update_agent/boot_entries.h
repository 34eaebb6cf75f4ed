// Type #2 boot entries (UKIs) in the ESP's EFI/Linux, named as systemd-boot's boot counting
// expects: NAME_VERSION.efi (a blessed entry), NAME_VERSION+LEFT.efi or
// NAME_VERSION+LEFT-DONE.efi (tries left, tries done). systemd-boot boots the newest version
// with tries left and sorts entries with no tries left ("+0") after all others;
// systemd-bless-boot renames a good boot's entry to NAME_VERSION.efi.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::update_agent {

inline constexpr std::string_view kEntryDirectory = "EFI/Linux";

struct BootEntry {
  std::string file_name;
  std::string version;
  std::optional<int> tries_left;  // unset: a blessed entry (no counting)
  std::optional<int> tries_done;
  bool counting() const { return tries_left.has_value(); }
  bool bad() const { return tries_left && *tries_left == 0; }
  bool operator==(const BootEntry&) const = default;
};

// nullopt for a name that is not an entry of `image` (another image's, a temporary file).
// File names come from the ESP and are untrusted.
std::optional<BootEntry> ParseEntryName(std::string_view file_name, std::string_view image);

// "NAME_VERSION.efi", "NAME_VERSION+LEFT.efi" or "NAME_VERSION+LEFT-DONE.efi".
std::string EntryFileName(std::string_view image, std::string_view version,
                          std::optional<int> tries_left = std::nullopt,
                          std::optional<int> tries_done = std::nullopt);

// The entries of `image` in esp/EFI/Linux, sorted by file name; empty when the directory
// does not exist.
Result<std::vector<BootEntry>> ListEntries(const std::filesystem::path& esp, std::string_view image);

// The entry of `version`, nullopt when none (the first by name if there are several).
std::optional<BootEntry> FindEntry(const std::vector<BootEntry>& entries, std::string_view version);

// Removes every entry of `version` and syncs the directory.
Status RemoveEntriesOf(const std::filesystem::path& esp, std::string_view image, std::string_view version);

// Renames an entry within EFI/Linux (one rename(2), then the directory is synced).
Status RenameEntry(const std::filesystem::path& esp, std::string_view from, std::string_view to);

// Temporary names the agent writes a UKI under before renaming it into place; never *.efi,
// so the loader never sees a partial file.
std::string TemporaryEntryName(std::string_view final_name);
// Removes temporary files an interrupted update left.
Status RemoveTemporaryEntries(const std::filesystem::path& esp);

// fsync of a directory, so a rename or unlink in it is durable.
Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace kiln::update_agent
