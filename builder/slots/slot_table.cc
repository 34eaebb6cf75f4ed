#include "builder/slots/slot_table.h"

#include <vector>

#include "builder/disk/partition_types.h"
#include "builder/slots/slot_labels.h"
#include "builder/slots/slot_uuids.h"

namespace kiln::slots {

namespace {

// Indices of the partitions of one role, in table order; fails unless there are exactly two
// of equal size.
Result<std::vector<std::size_t>> FindPair(const disk::DiskLayout& layout, disk::PartitionRole role,
                                          Architecture arch) {
  const disk::PartitionType& type = disk::GetPartitionType(role, arch);
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < layout.partitions.size(); ++i)
    if (layout.partitions[i].type == type.uuid) found.push_back(i);
  if (found.size() != 2)
    return MakeError(ErrorCode::kInput, "not an A/B disk: it has " + std::to_string(found.size()) + " " +
                                            type.name + " partitions, an A/B disk has 2");
  const std::uint64_t a = layout.partitions[found[0]].size, b = layout.partitions[found[1]].size;
  if (a != b)
    return MakeError(ErrorCode::kInput, "not an A/B disk: its " + type.name + " partitions differ in size (" +
                                            std::to_string(a) + " and " + std::to_string(b) + " bytes)");
  return found;
}

}  // namespace

const char* SlotNameText(SlotName slot) { return slot == SlotName::kA ? "A" : "B"; }

Result<SlotTable> FindSlots(const disk::DiskLayout& layout, Architecture arch) {
  KILN_ASSIGN_OR_RETURN(auto roots, FindPair(layout, disk::PartitionRole::kRoot, arch));
  KILN_ASSIGN_OR_RETURN(auto verities, FindPair(layout, disk::PartitionRole::kRootVerity, arch));
  KILN_ASSIGN_OR_RETURN(auto signatures, FindPair(layout, disk::PartitionRole::kRootVeritySig, arch));
  SlotTable table;
  table.a = {roots[0], verities[0], signatures[0]};
  table.b = {roots[1], verities[1], signatures[1]};
  return table;
}

SlotContent DescribeSlot(const disk::DiskLayout& layout, const SlotPartitions& slot, std::string_view image) {
  const std::string& root = layout.partitions.at(slot.root).label;
  const std::string& verity = layout.partitions.at(slot.verity).label;
  const std::string& signature = layout.partitions.at(slot.signature).label;
  SlotContent content;
  if (root == kEmptyLabel && verity == kEmptyLabel && signature == kEmptyLabel) {
    content.empty = true;
    return content;
  }
  std::optional<SlotLabelParts> parts = ParseSlotLabel(root);
  if (!parts || parts->image != image || parts->part != SlotPart::kRoot) return content;
  if (verity != SlotLabel(image, parts->version, SlotPart::kVerity) ||
      signature != SlotLabel(image, parts->version, SlotPart::kSignature))
    return content;
  content.version = parts->version;
  return content;
}

std::optional<SlotName> FindSlotOfRootHash(const disk::DiskLayout& layout, const SlotTable& table,
                                           const Digest& root_hash) {
  const Uuid root_uuid = UuidFromFirstHalf(root_hash);
  for (SlotName slot : {SlotName::kA, SlotName::kB})
    if (layout.partitions.at(table[slot].root).uuid == root_uuid) return slot;
  return std::nullopt;
}

void SetSlotVersion(disk::DiskLayout& layout, const SlotPartitions& slot, std::string_view image,
                    std::string_view version, const Digest& root_hash) {
  disk::Partition& root = layout.partitions.at(slot.root);
  disk::Partition& verity = layout.partitions.at(slot.verity);
  disk::Partition& signature = layout.partitions.at(slot.signature);
  root.label = SlotLabel(image, version, SlotPart::kRoot);
  verity.label = SlotLabel(image, version, SlotPart::kVerity);
  signature.label = SlotLabel(image, version, SlotPart::kSignature);
  root.uuid = UuidFromFirstHalf(root_hash);
  verity.uuid = UuidFromSecondHalf(root_hash);
  signature.uuid = SignaturePartitionUuid(root_hash);
  for (disk::Partition* p : {&root, &verity, &signature}) p->attributes &= ~disk::kAttrNoAuto;
}

void SetSlotEmpty(disk::DiskLayout& layout, const SlotPartitions& slot) {
  for (std::size_t index : {slot.root, slot.verity, slot.signature}) {
    layout.partitions.at(index).label = std::string(kEmptyLabel);
    layout.partitions.at(index).attributes |= disk::kAttrNoAuto;
  }
}

}  // namespace kiln::slots
