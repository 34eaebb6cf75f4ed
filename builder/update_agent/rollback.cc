#include "builder/update_agent/rollback.h"

#include "builder/update_agent/boot_entries.h"
#include "builder/update_agent/esp_mount.h"

namespace kiln::update_agent {

Result<RollbackOutcome> Rollback(const AgentPaths& paths) {
  KILN_ASSIGN_OR_RETURN(SystemState s, LoadSystemState(paths, /*writable=*/false));
  KILN_ASSIGN_OR_RETURN(EspMount esp, EspMount::Locate(paths, s));
  const std::string& image = s.release.image;
  const slots::SlotName other = s.inactive();
  const slots::SlotContent content = slots::DescribeSlot(s.layout, s.slots[other], image);
  RollbackOutcome out;
  out.from_version = s.release.version;
  out.to_slot = slots::SlotNameText(other);
  if (content.empty) return MakeError(ErrorCode::kInput, "slot " + out.to_slot + " is empty: there is no version to roll back to");
  if (content.version.empty())
    return MakeError(ErrorCode::kInput, "slot " + out.to_slot + " holds no complete version of " + image + ": refusing to roll back to it");
  if (content.version == out.from_version)
    return MakeError(ErrorCode::kInput, "slot " + out.to_slot + " holds the running version " + out.from_version);
  out.to_version = content.version;
  KILN_ASSIGN_OR_RETURN(auto entries, ListEntries(esp.path(), image));
  const auto target = FindEntry(entries, out.to_version);
  if (!target)
    return MakeError(ErrorCode::kInput, "version " + out.to_version + " in slot " + out.to_slot + " has no boot entry in " +
                                            (esp.path() / kEntryDirectory).string() + ": refusing to roll back to it");
  out.to_entry = EntryFileName(image, out.to_version);
  if (target->file_name != out.to_entry) KILN_TRY(RenameEntry(esp.path(), target->file_name, out.to_entry));
  if (const auto running = FindEntry(entries, out.from_version)) {
    out.from_entry = EntryFileName(image, out.from_version, 0);
    if (running->file_name != out.from_entry) KILN_TRY(RenameEntry(esp.path(), running->file_name, out.from_entry));
  }
  return out;
}

}  // namespace kiln::update_agent
