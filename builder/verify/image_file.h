// Opens a disk image for reading as raw bytes: raw images directly, qcow2 and vmdk converted
// to a temporary raw file with qemu-img first (removed when the OpenImage goes away).
#pragma once

#include <filesystem>
#include <optional>

#include "builder/common/files.h"
#include "builder/common/result.h"

namespace kiln::verify {

class OpenImage {
 public:
  OpenImage() = default;
  OpenImage(int fd, std::optional<TempDir> tmp) : fd_(fd), tmp_(std::move(tmp)) {}
  ~OpenImage();
  OpenImage(OpenImage&& o) noexcept : fd_(std::exchange(o.fd_, -1)), tmp_(std::move(o.tmp_)) {}
  OpenImage& operator=(OpenImage&&) = delete;
  OpenImage(const OpenImage&) = delete;
  int fd() const { return fd_; }
  std::uint64_t size() const;

 private:
  int fd_ = -1;
  std::optional<TempDir> tmp_;
};

// "raw", "qcow2" or "vmdk" from the file's first bytes.
Result<std::string> DetectImageFormat(const std::filesystem::path& path);
Result<OpenImage> OpenRawImage(const std::filesystem::path& path, const std::filesystem::path& work_dir);

}  // namespace kiln::verify
