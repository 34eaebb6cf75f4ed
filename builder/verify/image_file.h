// Opens a disk image for reading as raw bytes: raw images directly, qcow2 and vmdk converted
// to a temporary raw file with qemu-img first (removed when the OpenImage goes away).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "builder/common/files.h"
#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::verify {

class OpenImage {
 public:
  OpenImage() = default;
  OpenImage(int fd, std::optional<TempDir> tmp) : tmp_(std::move(tmp)), fd_(fd) {}
  OpenImage(OpenImage&&) noexcept = default;
  OpenImage& operator=(OpenImage&&) = delete;
  int fd() const { return fd_.get(); }
  std::uint64_t size() const;

 private:
  std::optional<TempDir> tmp_;
  UniqueFd fd_;  // after tmp_: closed before the converted file's directory is removed
};

// systemd refuses root-verity-sig partitions larger than this; verify and inspect read one
// into memory, and its size comes from an untrusted GPT.
inline constexpr std::uint64_t kMaxSignaturePartitionSize = 4u << 20;

// "raw", "qcow2" or "vmdk" from the file's first bytes.
Result<std::string> DetectImageFormat(const std::filesystem::path& path);
// allow_external_files: accept a qcow2/vmdk that names a backing or data file (--allow-backing-file).
Result<OpenImage> OpenRawImage(const std::filesystem::path& path, const std::filesystem::path& work_dir,
                               bool allow_external_files = false);

}  // namespace kiln::verify
