#include "builder/flash/from_registry.h"

#include "builder/common/files.h"
#include "builder/flash/target_check.h"
#include "builder/registry/disk_artifact.h"

namespace kiln::flash {

Result<RegistryFlashResult> FlashFromRegistry(const registry::Reference& ref, const std::filesystem::path& target,
                                              const registry::RegistryOptions& opts,
                                              const std::filesystem::path& staging_parent,
                                              const std::function<void(const Event&)>& report) {
  // A busy device is refused before anything is fetched (Flash checks again before writing).
  KILN_TRY(CheckTargetFree(target));
  // The raw blob is staged rather than streamed onto the target: its digest is known only
  // after its last byte, and a tampered or truncated blob must be refused before the device
  // is touched, not after half of it was overwritten. TempDir removes it on every path.
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(staging_parent, "kiln-flash"));
  if (report) report(Event{"fetch", "fetching the raw image of " + ref.ToString(), 0, 0});
  KILN_ASSIGN_OR_RETURN(registry::FetchedRawImage fetched, registry::FetchRawImage(ref, staging.path(), opts));
  RegistryFlashResult r;
  r.manifest_digest = fetched.manifest_digest;
  r.raw_title = fetched.raw_title;
  // Without a pushed block map Flash computes one from the verified raw blob (bmap left empty
  // and no sibling .bmap exists in the staging directory).
  KILN_ASSIGN_OR_RETURN(r.flash, Flash({fetched.raw, fetched.bmap, target}, report)
                                     .WithContext("flashing " + fetched.raw_title + " of " + ref.ToString()));
  if (!fetched.bmap_title.empty()) r.flash.bmap_source = fetched.bmap_title;
  return r;
}

}  // namespace kiln::flash
