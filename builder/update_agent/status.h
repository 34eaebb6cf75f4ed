// `kiln-update status`: what runs, from which slot, with which root hash and boot counter,
// and what the loader will try next. The build identity comes from release.json and the
// command line alone, so `--prometheus` works even where the disk cannot be read; the slot and
// boot entry parts are best effort and say why when they are missing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/update_agent/boot_entries.h"
#include "builder/update_agent/system_state.h"

namespace kiln::update_agent {

struct SlotStatus {
  std::string name;     // "A", "B"
  bool running = false;
  bool empty = false;
  std::string version;  // empty for an empty or unrecognised slot
  std::string root_partition_uuid;
};

struct StatusReport {
  std::string image;
  std::string version;
  std::string architecture;
  std::string root_hash;
  std::string channel;
  std::string running_slot;                // empty when unknown
  std::vector<SlotStatus> slots;
  std::optional<BootEntry> running_entry;  // with its boot counter
  std::optional<BootEntry> pending;        // a newer entry with tries left: booted next
  std::vector<std::string> notes;          // what could not be determined, and why
};

// efivar_path: the LoaderBootCountPath EFI variable file ("" to skip it).
Result<StatusReport> GetStatus(const AgentPaths& paths, const std::string& efivar_path);

std::string StatusText(const StatusReport& report);
std::string StatusJson(const StatusReport& report);
// kiln_build_info{image="..",version="..",roothash=".."} 1, Prometheus text format.
std::string PrometheusText(const StatusReport& report);

inline constexpr const char* kLoaderBootCountPathVariable =
    "/sys/firmware/efi/efivars/LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

// The file name at the end of the variable's UTF-16 path (\EFI\Linux\NAME_V+2-1.efi).
std::optional<std::string> BootCountFileName(std::string_view efivar_bytes);

}  // namespace kiln::update_agent
