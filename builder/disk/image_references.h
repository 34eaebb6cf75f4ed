// Disk images that name other host files: a qcow2 backing file or external data file, a
// vmdk parent or extent files. qemu-img follows such names when converting, so an image
// handed to `kiln verify`, `inspect` or `diff` could make kiln read any file on the host;
// such images are refused unless the user asks for them (--allow-backing-file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "builder/common/result.h"

namespace kiln::disk {

// A sparse vmdk's embedded descriptor: its place in the file and its text (up to the first
// NUL). kInput when the file has no KDMV header or no descriptor.
struct VmdkDescriptor {
  std::uint64_t offset = 0;
  std::uint64_t capacity = 0;  // bytes reserved for it
  std::string text;
};
Result<VmdkDescriptor> ReadVmdkDescriptor(int fd, const std::filesystem::path& path);

// What `image` (format "qcow2", "vmdk" or "raw") names outside itself, from its own headers
// first (so qemu-img never opens a named file), then from `qemu-img info --output=json`.
// kInput naming the reference when there is one.
Status CheckSelfContained(const std::filesystem::path& image, const std::string& format);

// The same judgement over `qemu-img info --output=json` text (exposed for tests): empty
// when self-contained, else what the image refers to.
std::string ExternalReferenceInInfo(std::string_view info_json, const std::filesystem::path& image);

}  // namespace kiln::disk
