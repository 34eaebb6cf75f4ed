// A deterministic ustar/pax tar encoder, used for OCI layers (from the file tree) and for
// the oci-archive (from a layout directory).
//
// Written by hand rather than with libarchive so every byte is ours to decide: libarchive's
// pax writers emit atime/ctime records whenever an entry carries them, name extended headers
// after the process id in some versions, and choose ustar vs pax per entry by rules that
// changed between releases. Here: plain ustar headers with numeric owners only (no
// uname/gname), and a pax extended header ('x') only when an entry needs one (a path that
// neither fits the 100-byte name nor a 155/100 prefix split, a link target over 100 bytes,
// xattrs as SCHILY.xattr.*, ids, sizes or times out of octal range). Records are sorted by
// key. No global headers, no atime/ctime, no blocking-factor padding beyond the two zero
// end blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/oci/byte_sink.h"

namespace kiln::oci {

enum class TarType : char {
  kFile = '0',
  kHardLink = '1',
  kSymlink = '2',
  kCharDevice = '3',
  kBlockDevice = '4',
  kDirectory = '5',
  kFifo = '6',
};

struct TarHeader {
  std::string path;  // relative, no leading "/" or "./"; directories without trailing '/'
  TarType type = TarType::kFile;
  std::uint32_t mode = 0644;  // permission bits (07777)
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::int64_t mtime = 0;
  std::uint64_t size = 0;  // kFile: number of content bytes that follow
  std::string link;        // kHardLink: path of the earlier entry; kSymlink: link text
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::map<std::string, std::string> xattrs;
};

// Streams entries into a sink. Per entry: WriteHeader, then for a kFile exactly `size`
// bytes through WriteData/WriteFileContents; Finish() writes the end-of-archive blocks.
class TarWriter {
 public:
  explicit TarWriter(ByteSink& out) : out_(out) {}

  Status WriteHeader(const TarHeader& header);
  Status WriteData(std::string_view data);
  // Streams a host file as the current entry's content; it must have exactly the size the
  // header announced (a file that changed since it was recorded is an error naming it).
  Status WriteFileContents(const std::filesystem::path& host_path);
  Status Finish();

 private:
  Status PadEntry();

  ByteSink& out_;
  std::uint64_t remaining_ = 0;  // content bytes still owed for the current entry
  std::uint64_t entry_size_ = 0;
  std::string entry_path_;
};

// Exposed for tests: one pax record "LEN key=value\n".
std::string PaxRecord(std::string_view key, std::string_view value);

}  // namespace kiln::oci
