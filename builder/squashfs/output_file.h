// The sqfs_file_t the squashfs writer hands to libsquashfs: writes land at a fixed byte
// offset of a host file (the disk stage passes the disk image and the root partition's
// offset), and, when a VerityHasher is given, the dm-verity leaf digest of every 4 KiB block
// is computed while the image is written instead of in a second pass.
//
// libsquashfs appends almost everything, but it rewrites the superblock at offset 0 at the
// end and truncates the tail when block deduplication finds a duplicate; leaves touched by
// either are invalidated and hashed again. Truncation is virtual: bytes past the logical end
// are never cut from a host file that may hold other partitions; Finish() zeroes whatever
// stale bytes remain past the padded end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <sqfs/io.h>

#include "builder/common/result.h"
#include "builder/verity/verity.h"

namespace kiln::squashfs {

class OutputFile {
 public:
  // Opens (creating with mode 0644 if missing, never truncating) `path` for writing an image
  // at byte `offset`. `verity` may be null.
  static Result<std::unique_ptr<OutputFile>> Open(const std::filesystem::path& path,
                                                  std::uint64_t offset,
                                                  verity::VerityHasher* verity);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // The interface for libsquashfs; valid while this object lives.
  sqfs_file_t* file() { return &shim_.iface; }
  std::uint64_t size() const;
  // The last host I/O error, for turning SQFS_ERROR_IO into a useful message.
  std::string last_error() const;

  // Pads the image with zeros to a multiple of 4096, hashes every leaf still missing and
  // clears stale bytes left past the end by truncations. Returns the padded size.
  Result<std::uint64_t> Finish();

 private:
  // Standard-layout shim: libsquashfs sees `iface`, the callbacks recover `owner`.
  struct Shim {
    sqfs_file_t iface;
    OutputFile* owner;
  };

  OutputFile(int fd, std::uint64_t offset, std::uint64_t original_size,
             const std::filesystem::path& path, verity::VerityHasher* verity);
  static OutputFile* Self(const sqfs_file_t* f);

  int ReadAt(std::uint64_t off, void* buf, std::size_t size);
  int WriteAt(std::uint64_t off, const void* buf, std::size_t size);
  int Truncate(std::uint64_t size);
  // Callers hold mu_.
  bool PwriteAll(std::uint64_t abs, const void* buf, std::size_t size);
  // Writes at logical `off` and updates the size and the verity leaves.
  bool WriteLocked(std::uint64_t off, const void* buf, std::size_t size);
  bool WriteZeros(std::uint64_t off, std::uint64_t size);
  bool HashLeaf(std::uint64_t index, std::uint64_t buf_off, const void* buf, std::size_t size);
  void Fail(const std::string& what);

  Shim shim_;
  int fd_;
  std::uint64_t offset_;
  std::uint64_t original_size_;  // host file size at open, never cut below this
  std::filesystem::path path_;
  verity::VerityHasher* verity_;

  mutable std::mutex mu_;
  std::uint64_t size_ = 0;       // logical image size
  std::uint64_t high_water_ = 0; // largest logical end ever written
  std::uint64_t hashed_ = 0;     // leaves [0, hashed_) have been hashed once
  std::set<std::uint64_t> dirty_;  // leaves below hashed_ rewritten since
  std::string last_error_;
};

}  // namespace kiln::squashfs
