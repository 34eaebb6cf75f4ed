#include "builder/disk/seed_uuids.h"

#include <vector>

namespace kiln::disk {

Uuid DiskGuid(const Seed& seed) { return UuidV4From(HmacSha256(seed, "disk-uuid")); }

Uuid PartitionUuid(const Seed& seed, const Uuid& type_uuid, std::uint64_t n) {
  std::vector<std::uint8_t> msg(type_uuid.bytes.begin(), type_uuid.bytes.end());
  // repart appends the counter only from the second partition of a type on, so the first
  // one keeps the UUID it would have on its own.
  if (n > 0)
    for (int i = 0; i < 8; ++i) msg.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  return UuidV4From(HmacSha256(seed, msg));
}

Uuid FilesystemUuid(const Uuid& partition_uuid) {
  return UuidV4From(HmacSha256(partition_uuid.bytes, "file-system-uuid"));
}

Uuid VerityUuid(const Seed& seed) { return UuidV4From(HmacSha256(seed, "verity-uuid")); }

std::array<std::uint8_t, 32> VeritySalt(const Seed& seed) { return HmacSha256(seed, "verity-salt"); }

}  // namespace kiln::disk
