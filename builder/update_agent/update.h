// `kiln-update update`: installs the channel's newest version into the inactive slot
// (docs/updates.md, "How an update proceeds"). The order is what makes it safe:
//   1. the inactive slot stops being bootable: its version's boot entries are removed, then
//      its partitions are labelled "_empty" (GPT rewritten, synced), before any byte is written;
//   2. root (decompressed while hashed), verity and signature contents are streamed into its
//      partitions, every served and written byte checked against the signed index; synced,
//      read back, and the verity tree checked against the index's root hash, which must also
//      be the signature's rootHash;
//   3. the slot gets the version's labels and the root hash's UUIDs (GPT rewritten, synced);
//   4. the UKI is written under a temporary name, checked, synced and renamed to
//      EFI/Linux/NAME_VERSION+TRIES.efi: only this last rename makes the new version bootable.
// The running slot is never written. A failure before step 4 completes leaves the slot
// "_empty" and no entry for it; a later update starts over.
#pragma once

#include <string>

#include "builder/common/result.h"
#include "builder/update_agent/channel_fetch.h"
#include "builder/update_agent/system_state.h"

namespace kiln::update_agent {

struct UpdateOptions {
  ChannelOptions channel;
  bool allow_downgrade = false;
};

struct UpdateOutcome {
  enum class Kind { kInstalled, kUpToDate, kAlreadyInstalled } kind = Kind::kUpToDate;
  std::string version;     // installed or pending version (empty when up to date)
  std::string entry;       // its boot entry's file name
  std::string slot;        // "A" or "B"
};

Result<UpdateOutcome> Update(const AgentPaths& paths, const UpdateOptions& options);

}  // namespace kiln::update_agent
