// Partition UUIDs of an A/B disk that do not come from the build seed (docs/updates.md):
// they must be the same for every build that puts a given root hash or image on the disk,
// so a UKI finds its signature partition in whichever slot it was written, and every
// version of an image finds the same data and ESP partitions. The root and verity partitions take
// the halves of the root hash (common/uuid.h, UuidFromFirstHalf/UuidFromSecondHalf).
#pragma once

#include <string_view>

#include "builder/common/architecture.h"
#include "builder/common/sha256.h"
#include "builder/common/uuid.h"

namespace kiln::slots {

// v4(SHA-256("kiln verity-sig partition\0" || root hash bytes)).
Uuid SignaturePartitionUuid(const Digest& root_hash);

// v4(SHA-256("kiln data partition\0" || image name || "\0" || architecture name)), the
// architecture named as ArchitectureName() spells it ("x86-64", "arm64").
Uuid DataPartitionUuid(std::string_view image, Architecture arch);

// v4(SHA-256("kiln esp partition\0" || image name || "\0" || architecture name)): every
// version mounts the same ESP at /efi (boot counting renames entries there).
Uuid EspPartitionUuid(std::string_view image, Architecture arch);

}  // namespace kiln::slots
