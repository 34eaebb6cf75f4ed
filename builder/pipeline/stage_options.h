// The small option structs the stages take, made from the recipe here and nowhere else: no
// stage below the pipeline reads the recipe struct (docs/architecture.md).
#pragma once

#include <cstdint>
#include <vector>

#include "builder/common/result.h"
#include "builder/oci/oci_options.h"
#include "builder/recipe/recipe.h"
#include "builder/sources/debian_base_spec.h"
#include "builder/tree/accounts.h"
#include "builder/tree/entries.h"

namespace kiln::pipeline {

// The OCI image options: [image] name, version and architecture, [container] settings, the
// [data] mountpoint as a volume. kRecipe for a layer mode or compression outside the allowed sets.
Result<oci::OciOptions> OciOptionsFor(const recipe::Recipe& r, std::int64_t source_date_epoch, unsigned jobs);

// What a Debian base is made from: [base] (meaningful when its type is "debian"), the image
// architecture, and whether [boot] needs an initrd for the verity root.
sources::DebianBaseSpec DebianBaseFor(const recipe::Recipe& r);

// The recipe's [[file]]/[[directory]]/[[symlink]] entries, [[user]]s and [[group]]s, in order.
std::vector<tree::EntrySpec> TreeEntries(const recipe::Recipe& r);
std::vector<tree::UserSpec> TreeUsers(const recipe::Recipe& r);
std::vector<tree::GroupSpec> TreeGroups(const recipe::Recipe& r);

}  // namespace kiln::pipeline
