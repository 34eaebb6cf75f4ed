// What the agent knows about the machine it runs on: the build identity (release.json), the
// running root hash (kernel command line), the boot disk's partition table and its two
// slots, and which of them runs. Every verb starts here. AgentPaths are the test hooks
// (--disk, --esp, --cmdline, --release, --cert): with them the agent works on a disk image
// file and an ESP directory on any host, without root.
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/architecture.h"
#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/slots/slot_table.h"
#include "builder/update_agent/release_info.h"

namespace kiln::update_agent {

struct AgentPaths {
  std::filesystem::path disk;  // empty: the disk holding the running root partition
  std::filesystem::path esp;   // empty: the mounted ESP, else the disk's ESP mounted privately
  std::filesystem::path cmdline = "/proc/cmdline";
  std::filesystem::path release = "/usr/lib/kiln/release.json";
  std::filesystem::path cert = "/usr/lib/kiln/channel.crt";
};

struct SystemState {
  ReleaseInfo release;
  Architecture arch = Architecture::kX86_64;
  Digest root_hash{};
  std::filesystem::path disk_path;
  UniqueFd disk;  // read-only, or read-write for update and rollback
  disk::DiskLayout layout;
  slots::SlotTable slots;
  slots::SlotName running = slots::SlotName::kA;

  slots::SlotName inactive() const { return running == slots::SlotName::kA ? slots::SlotName::kB : slots::SlotName::kA; }
};

// Reads release.json, the command line and the disk's GPT; finds the slots and the running
// one. kInput when the disk is not an A/B disk or no slot holds the running root hash.
Result<SystemState> LoadSystemState(const AgentPaths& paths, bool writable);

// Writes layout as the disk's GPT (primary and backup, with their CRCs) and syncs the disk.
Status WritePartitionTable(SystemState& state);

// The disk holding the partition with this PARTUUID (/dev/disk/by-partuuid and sysfs).
Result<std::filesystem::path> DiskOfPartition(const Uuid& partuuid);

}  // namespace kiln::update_agent
