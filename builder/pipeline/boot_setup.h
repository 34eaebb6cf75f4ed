// Boot setup for [boot] loader = "systemd-boot": adds the boot configuration (fstab, the data
// partition's units) to the root before it is written, checks the kernel, initrd and loader
// are there, and returns the function that makes the ESP's files once the root hash and the
// partition table are known.
#pragma once

#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/disk_image.h"
#include "builder/pipeline/signer.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

// Empty when the recipe does not boot. `tree` must outlive the returned function. kUsage for
// [signing] secure_boot without a key file and certificate.
Result<EspFilesFn> PrepareBoot(const recipe::Recipe& recipe, const SigningPaths& signing, const Seed& seed,
                               tree::FileTree& tree, const BuildContext& ctx, const std::string& uki_name);

}  // namespace kiln::pipeline
