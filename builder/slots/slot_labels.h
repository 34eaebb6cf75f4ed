// GPT labels of A/B slot partitions (docs/updates.md, "Disk layout"), as systemd-sysupdate
// names them: a slot holding version VERSION of image NAME labels its three partitions
// NAME_VERSION, NAME_VERSION_verity and NAME_VERSION_verity_sig; a free slot's partitions
// are all labelled "_empty". The build labels slot A; the update agent relabels the
// inactive slot after writing it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln::slots {

// The three partitions of a slot.
enum class SlotPart { kRoot, kVerity, kSignature };

inline constexpr std::string_view kEmptyLabel = "_empty";
// A GPT label holds 36 UTF-16 code units; slot labels are ASCII.
inline constexpr std::size_t kMaxLabelLength = 36;

// "NAME_VERSION", "NAME_VERSION_verity" or "NAME_VERSION_verity_sig".
std::string SlotLabel(std::string_view image, std::string_view version, SlotPart part);

struct SlotLabelParts {
  std::string image;
  std::string version;
  SlotPart part = SlotPart::kRoot;
  bool operator==(const SlotLabelParts&) const = default;
};

// Splits a label made by SlotLabel. Image names may contain '_' but versions may not
// (recipe rules), so the version is what follows the last '_' once a "_verity_sig" or
// "_verity" suffix is removed (a suffix always wins: "app_verity" is never version
// "verity"). nullopt for "_empty" and any label not of this form (empty parts, characters
// outside [A-Za-z0-9._+~-]); labels come from disks and are untrusted.
std::optional<SlotLabelParts> ParseSlotLabel(std::string_view label);

// Fails with kRecipe, naming the label and both lengths, when the longest label of the
// image's slots ("NAME_VERSION_verity_sig") does not fit a GPT label.
Status CheckSlotLabelsFit(std::string_view image, std::string_view version);

}  // namespace kiln::slots
