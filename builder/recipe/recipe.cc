#include "builder/recipe/recipe.h"

#include <array>

namespace kiln::recipe {

namespace {

struct FormatName {
  OutputFormat format;
  const char* name;
};

constexpr std::array<FormatName, 11> kFormatNames{{{OutputFormat::kSquashfs, "squashfs"},
                                                   {OutputFormat::kRaw, "raw"},
                                                   {OutputFormat::kQcow2, "qcow2"},
                                                   {OutputFormat::kVmdk, "vmdk"},
                                                   {OutputFormat::kVhd, "vhd"},
                                                   {OutputFormat::kVhdx, "vhdx"},
                                                   {OutputFormat::kGce, "gce"},
                                                   {OutputFormat::kOva, "ova"},
                                                   {OutputFormat::kOci, "oci"},
                                                   {OutputFormat::kOciArchive, "oci-archive"},
                                                   {OutputFormat::kTar, "tar"}}};

constexpr std::array<OutputFormat, kFormatNames.size()> kFormats = [] {
  std::array<OutputFormat, kFormatNames.size()> out{};
  for (std::size_t i = 0; i < kFormatNames.size(); ++i) out[i] = kFormatNames[i].format;
  return out;
}();

}  // namespace

std::span<const OutputFormat> AllOutputFormats() { return kFormats; }

const char* OutputFormatName(OutputFormat f) {
  for (const auto& n : kFormatNames)
    if (n.format == f) return n.name;
  return "";
}

std::optional<OutputFormat> OutputFormatFromName(std::string_view name) {
  for (const auto& n : kFormatNames)
    if (name == n.name) return n.format;
  return std::nullopt;
}

const char* BootLoaderName(BootLoader b) { return b == BootLoader::kSystemdBoot ? "systemd-boot" : "none"; }

}  // namespace kiln::recipe
