// `kiln-update rollback`: the other slot's version boots next. Done with the same file names
// systemd-boot's boot counting uses, so it needs no EFI variable, no loader.conf default and
// survives any number of reboots until the next update: the other version's entry is renamed
// to its blessed name NAME_VERSION.efi (first, so a power cut in between leaves both
// bootable), then the running version's entry to NAME_VERSION+0.efi, which systemd-boot
// treats as "no tries left" and sorts after every other entry. The running UKI stays on the
// ESP (renaming it back undoes the rollback) until an update overwrites that slot.
// Refused when the other slot is empty, holds no recognisable version, or its UKI is missing.
#pragma once

#include <string>

#include "builder/common/result.h"
#include "builder/update_agent/system_state.h"

namespace kiln::update_agent {

struct RollbackOutcome {
  std::string from_version;
  std::string to_version;
  std::string to_slot;
  std::string to_entry;      // the other version's entry after the rename
  std::string from_entry;    // the running version's entry after the rename ("" when it had none)
};

Result<RollbackOutcome> Rollback(const AgentPaths& paths);

}  // namespace kiln::update_agent
