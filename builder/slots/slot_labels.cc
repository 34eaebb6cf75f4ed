#include "builder/slots/slot_labels.h"

namespace kiln::slots {

namespace {

constexpr std::string_view kVeritySuffix = "_verity";
constexpr std::string_view kSignatureSuffix = "_verity_sig";

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '+' || c == '~' || c == '-';
}

}  // namespace

std::string SlotLabel(std::string_view image, std::string_view version, SlotPart part) {
  std::string label = std::string(image) + "_" + std::string(version);
  if (part == SlotPart::kVerity) label += kVeritySuffix;
  if (part == SlotPart::kSignature) label += kSignatureSuffix;
  return label;
}

std::optional<SlotLabelParts> ParseSlotLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength || label == kEmptyLabel) return std::nullopt;
  for (char c : label)
    if (!IsLabelChar(c)) return std::nullopt;
  SlotLabelParts parts;
  if (label.ends_with(kSignatureSuffix)) {
    parts.part = SlotPart::kSignature;
    label.remove_suffix(kSignatureSuffix.size());
  } else if (label.ends_with(kVeritySuffix)) {
    parts.part = SlotPart::kVerity;
    label.remove_suffix(kVeritySuffix.size());
  }
  std::size_t split = label.rfind('_');
  if (split == std::string_view::npos || split == 0 || split + 1 == label.size()) return std::nullopt;
  parts.image = std::string(label.substr(0, split));
  parts.version = std::string(label.substr(split + 1));
  return parts;
}

Status CheckSlotLabelsFit(std::string_view image, std::string_view version) {
  std::string longest = SlotLabel(image, version, SlotPart::kSignature);
  if (longest.size() <= kMaxLabelLength) return OkStatus();
  return MakeError(ErrorCode::kRecipe,
                   "[update] needs image name and version short enough for the slot labels: '" + longest +
                       "' has " + std::to_string(longest.size()) + " characters, a GPT label at most " +
                       std::to_string(kMaxLabelLength));
}

}  // namespace kiln::slots
