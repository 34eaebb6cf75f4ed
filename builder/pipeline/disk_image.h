// Assembles the GPT disk image in place: the squashfs is written straight into the root
// partition's place with its verity leaves hashed on the fly, then the hash tree, the signed
// root hash and the data file system are written at their offsets, and the GPT last.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/disk/gpt.h"
#include "builder/disk/vfat.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/signer.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

struct DiskImageResult {
  disk::DiskLayout layout;
  std::string root_hash_hex;
  std::string hash_device;      // the root-verity partition's content
  std::string roothash_p7s;     // empty when unsigned
  std::uint64_t root_offset = 0;
  std::uint64_t root_size = 0;  // squashfs bytes (4 KiB aligned)
  std::vector<disk::VfatFile> esp_files;  // what the ESP was filled with (empty: no boot loader)
};

// Called once the root hash and the partition table are known (the UKI's command line needs
// both); returns the files the ESP is formatted with.
using EspFilesFn = std::function<Result<std::vector<disk::VfatFile>>(const DiskImageResult&)>;

Result<DiskImageResult> WriteDiskImage(const tree::FileTree& tree, const recipe::Recipe& recipe,
                                       const Seed& seed, const Signer* signer,
                                       const BuildContext& ctx, const std::filesystem::path& raw,
                                       const EspFilesFn& esp_files = {});

}  // namespace kiln::pipeline
