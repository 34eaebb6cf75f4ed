#include "builder/slots/slot_uuids.h"

#include <string>

namespace kiln::slots {

Uuid SignaturePartitionUuid(const Digest& root_hash) {
  // The NUL ends the domain text and is hashed with it.
  Sha256 h;
  h.Update(std::string_view("kiln verity-sig partition\0", 26));
  h.Update(root_hash.data(), root_hash.size());
  return UuidV4From(h.Finish());
}

namespace {

// domain includes its final NUL.
Uuid ImageUuid(std::string_view domain, std::string_view image, Architecture arch) {
  Sha256 h;
  h.Update(domain);
  h.Update(image);
  h.Update(std::string_view("\0", 1));
  h.Update(std::string_view(ArchitectureName(arch)));
  return UuidV4From(h.Finish());
}

}  // namespace

Uuid DataPartitionUuid(std::string_view image, Architecture arch) {
  return ImageUuid(std::string_view("kiln data partition\0", 20), image, arch);
}

Uuid EspPartitionUuid(std::string_view image, Architecture arch) {
  return ImageUuid(std::string_view("kiln esp partition\0", 19), image, arch);
}

}  // namespace kiln::slots
