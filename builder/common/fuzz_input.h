// Helpers for the libFuzzer harnesses (builder/*/*_fuzz.cc, cmake/KilnFuzz.cmake), header
// only: a fuzz input held in an anonymous memory file, for readers that take an fd or a path
// (/proc/self/fd/N names memory, never a file on disk), and a private scratch directory for
// readers that need a directory tree.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "builder/common/files.h"

namespace kiln::fuzz {

class MemoryFile {
 public:
  // Holds data, zero-padded up to min_size bytes. Aborts when the kernel refuses (a harness
  // cannot run without it).
  MemoryFile(const std::uint8_t* data, std::size_t size, std::size_t min_size = 0)
      : fd_(::memfd_create("kiln-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    if (size < min_size && ::ftruncate(fd_, static_cast<off_t>(min_size)) != 0) std::abort();
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A directory of this process's own under $TMPDIR, removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static TempDir dir = [] {
    auto d = TempDir::Create({}, "kiln-fuzz");
    if (!d.ok()) std::abort();
    return std::move(d).value();
  }();
  return dir.path();
}

}  // namespace kiln::fuzz
