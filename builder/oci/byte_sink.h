// A push-style byte stream: the tar writers produce into a ByteSink, compressors are
// ByteSinks that feed another one, and the chain ends in a file or a digest. This lets a
// layer go from the file tree to a compressed, hashed blob in one pass with no copy on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln::oci {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view data) = 0;
};

// Collects everything in memory (JSON blobs, tests).
class StringSink : public ByteSink {
 public:
  Status Write(std::string_view data) override {
    data_.append(data);
    return OkStatus();
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

// Hashes and counts what passes through, then forwards it (next may be null).
class DigestSink : public ByteSink {
 public:
  explicit DigestSink(ByteSink* next = nullptr) : next_(next) {}
  Status Write(std::string_view data) override;
  // "sha256:<hex>" of everything written; call once.
  std::string FinishDigest() { return "sha256:" + ToHex(sha_.Finish()); }
  std::uint64_t size() const { return size_; }

 private:
  ByteSink* next_;
  Sha256 sha_;
  std::uint64_t size_ = 0;
};

// Writes to a newly created file (mode set explicitly, the umask does not leak).
class FileSink : public ByteSink {
 public:
  static Result<FileSink> Create(const std::filesystem::path& path, unsigned mode = 0644);
  FileSink(FileSink&& other) noexcept;
  FileSink& operator=(FileSink&& other) noexcept;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() override;

  Status Write(std::string_view data) override;
  // Flushes to stable storage and closes; reports write-back errors.
  Status Close();
  const std::filesystem::path& path() const { return path_; }

 private:
  FileSink(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace kiln::oci
