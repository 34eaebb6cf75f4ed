// The small option structs the stages take, made from the recipe here and nowhere else: no
// stage below the pipeline reads the recipe struct (docs/architecture.md).
#pragma once

#include <cstdint>
#include <vector>

#include "builder/oci/oci_options.h"
#include "builder/recipe/recipe.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::pipeline {

// The OCI image options: [image] name, version and architecture, [container] settings, the
// [data] mountpoint as a volume.
oci::OciOptions OciOptionsFor(const recipe::Recipe& r, std::int64_t source_date_epoch, unsigned jobs);

// What a Debian base is made from: [base] (meaningful when its type is "debian"), the image
// architecture, and whether [boot] needs an initrd for the verity root.
sources::DebianBaseSpec DebianBaseFor(const recipe::Recipe& r);

}  // namespace kiln::pipeline
