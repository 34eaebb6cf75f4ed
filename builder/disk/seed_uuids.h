// Deterministic identifiers derived from the 16-byte build seed, following systemd-repart
// (shared/reference/formats.md, "Deterministic UUIDs"): the same seed always gives the same
// disk GUID, partition UUIDs, file-system UUIDs and verity salt, so identical inputs give an
// identical image. The layout planner, the ext4/vfat builders and the verity stage use these.
#pragma once

#include <array>
#include <cstdint>

#include "builder/common/sha256.h"
#include "builder/common/uuid.h"

namespace kiln::disk {

using Seed = std::array<std::uint8_t, 16>;

// v4(HMAC-SHA256(key=seed, msg="disk-uuid"))
Uuid DiskGuid(const Seed& seed);
// v4(HMAC-SHA256(key=seed, msg=type_uuid_bytes || le64(n) when n > 0)); n counts partitions
// of the same type, 0 for the first. Type bytes are in textual (big-endian) order.
Uuid PartitionUuid(const Seed& seed, const Uuid& type_uuid, std::uint64_t n);
// v4(HMAC-SHA256(key=partition_uuid bytes, msg="file-system-uuid"))
Uuid FilesystemUuid(const Uuid& partition_uuid);
// v4(HMAC-SHA256(key=seed, msg="verity-uuid")): the verity superblock UUID.
Uuid VerityUuid(const Seed& seed);
// HMAC-SHA256(key=seed, msg="verity-salt"): the 32-byte verity salt.
std::array<std::uint8_t, 32> VeritySalt(const Seed& seed);

}  // namespace kiln::disk
