#include "builder/oci/tar_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "builder/common/unique_fd.h"

namespace kiln::oci {
namespace {

constexpr std::size_t kBlock = 512;

// ustar field offsets and sizes (POSIX.1-2001 pax interchange format, ustar header block).
constexpr std::size_t kNameOff = 0, kNameLen = 100;
constexpr std::size_t kModeOff = 100, kUidOff = 108, kGidOff = 116, kIdLen = 8;
constexpr std::size_t kSizeOff = 124, kMtimeOff = 136, kNumLen = 12;
constexpr std::size_t kChksumOff = 148, kChksumLen = 8;
constexpr std::size_t kTypeOff = 156;
constexpr std::size_t kLinkOff = 157, kLinkLen = 100;
constexpr std::size_t kMagicOff = 257, kVersionOff = 263;
constexpr std::size_t kDevMajorOff = 329, kDevMinorOff = 337;
constexpr std::size_t kPrefixOff = 345, kPrefixLen = 155;

using Block = std::array<char, kBlock>;

// An octal number fits a field of n bytes with n-1 digits and a NUL.
bool FitsOctal(std::uint64_t v, std::size_t field_len) {
  return v < (std::uint64_t{1} << (3 * (field_len - 1)));
}

void PutOctal(Block& b, std::size_t off, std::size_t field_len, std::uint64_t v) {
  std::size_t digits = field_len - 1;
  for (std::size_t i = 0; i < digits; ++i) {
    b[off + digits - 1 - i] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  b[off + digits] = '\0';
}

void PutString(Block& b, std::size_t off, std::size_t len, std::string_view s) {
  if (s.empty()) return;  // data() may be null
  std::memcpy(b.data() + off, s.data(), std::min(len, s.size()));
}

void PutChecksum(Block& b) {
  std::memset(b.data() + kChksumOff, ' ', kChksumLen);
  unsigned sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  // Six octal digits, NUL, space: the historical layout every reader accepts.
  for (int i = 5; i >= 0; --i) {
    b[kChksumOff + static_cast<std::size_t>(i)] = static_cast<char>('0' + (sum & 7));
    sum >>= 3;
  }
  b[kChksumOff + 6] = '\0';
  b[kChksumOff + 7] = ' ';
}

// Splits a name into ustar prefix and name at a '/'; the leftmost split that fits, so the
// choice depends on the path alone.
bool SplitUstarName(std::string_view full, std::string_view* prefix, std::string_view* name) {
  if (full.size() <= kNameLen) {
    *prefix = {};
    *name = full;
    return true;
  }
  for (std::size_t p = full.find('/'); p != std::string_view::npos; p = full.find('/', p + 1)) {
    std::string_view pre = full.substr(0, p);
    std::string_view rest = full.substr(p + 1);
    if (pre.size() > kPrefixLen) return false;
    if (!rest.empty() && rest != "/" && rest.size() <= kNameLen) {
      *prefix = pre;
      *name = rest;
      return true;
    }
  }
  return false;
}

std::string PaxHeaderName(std::string_view path) {
  // Same shape as Go's archive/tar ("dir/PaxHeaders.0/base"): fixed, no process id.
  std::size_t slash = path.rfind('/');
  std::string name = slash == std::string_view::npos
                         ? "PaxHeaders.0/" + std::string(path)
                         : std::string(path.substr(0, slash)) + "/PaxHeaders.0/" +
                               std::string(path.substr(slash + 1));
  if (name.size() > kNameLen) name.resize(kNameLen);
  return name;
}

}  // namespace

std::string PaxRecord(std::string_view key, std::string_view value) {
  // The length field counts itself; adding its digits may add one more digit.
  std::size_t base = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t len = base + std::to_string(base).size();
  if (std::to_string(len).size() != std::to_string(base).size()) len = base + std::to_string(len).size();
  std::string r = std::to_string(len);
  r += ' ';
  r.append(key);
  r += '=';
  r.append(value);
  r += '\n';
  return r;
}

Status TarWriter::WriteHeader(const TarHeader& h) {
  if (remaining_ != 0)
    return MakeError(ErrorCode::kBuild, "tar entry '" + entry_path_ + "' is missing " +
                                            std::to_string(remaining_) + " bytes of content");
  if (h.path.empty()) return MakeError(ErrorCode::kBuild, "tar entry with an empty path");
  const bool is_dir = h.type == TarType::kDirectory;
  const std::string full = is_dir ? h.path + "/" : h.path;
  const std::uint64_t size = h.type == TarType::kFile ? h.size : 0;

  std::map<std::string, std::string> pax;  // sorted keys: deterministic record order
  std::string_view prefix, name;
  if (!SplitUstarName(full, &prefix, &name)) {
    pax["path"] = full;
    prefix = {};
    name = std::string_view(full).substr(0, kNameLen);
  }
  if (h.link.size() > kLinkLen) pax["linkpath"] = h.link;
  if (!FitsOctal(h.uid, kIdLen)) pax["uid"] = std::to_string(h.uid);
  if (!FitsOctal(h.gid, kIdLen)) pax["gid"] = std::to_string(h.gid);
  if (!FitsOctal(size, kNumLen)) pax["size"] = std::to_string(size);
  const bool mtime_fits = h.mtime >= 0 && FitsOctal(static_cast<std::uint64_t>(h.mtime), kNumLen);
  if (!mtime_fits) pax["mtime"] = std::to_string(h.mtime);
  for (const auto& [key, value] : h.xattrs) pax["SCHILY.xattr." + key] = value;
  if (!FitsOctal(h.dev_major, kIdLen) || !FitsOctal(h.dev_minor, kIdLen))
    return MakeError(ErrorCode::kBuild, "tar entry '" + h.path + "': device number " +
                                            std::to_string(h.dev_major) + ":" +
                                            std::to_string(h.dev_minor) + " is out of range");

  const std::uint64_t mtime_field = mtime_fits ? static_cast<std::uint64_t>(h.mtime) : 0;
  if (!pax.empty()) {
    std::string records;
    for (const auto& [key, value] : pax) records += PaxRecord(key, value);
    Block x{};
    PutString(x, kNameOff, kNameLen, PaxHeaderName(h.path));
    PutOctal(x, kModeOff, kIdLen, 0644);
    PutOctal(x, kUidOff, kIdLen, 0);
    PutOctal(x, kGidOff, kIdLen, 0);
    PutOctal(x, kSizeOff, kNumLen, records.size());
    PutOctal(x, kMtimeOff, kNumLen, mtime_field);
    x[kTypeOff] = 'x';
    PutString(x, kMagicOff, 6, std::string_view("ustar\0", 6));
    PutString(x, kVersionOff, 2, "00");
    PutOctal(x, kDevMajorOff, kIdLen, 0);
    PutOctal(x, kDevMinorOff, kIdLen, 0);
    PutChecksum(x);
    KILN_TRY(out_.Write(std::string_view(x.data(), x.size())));
    records.resize((records.size() + kBlock - 1) / kBlock * kBlock, '\0');
    KILN_TRY(out_.Write(records));
  }

  Block b{};
  PutString(b, kNameOff, kNameLen, name);
  PutOctal(b, kModeOff, kIdLen, h.mode & 07777);
  PutOctal(b, kUidOff, kIdLen, FitsOctal(h.uid, kIdLen) ? h.uid : 0);
  PutOctal(b, kGidOff, kIdLen, FitsOctal(h.gid, kIdLen) ? h.gid : 0);
  PutOctal(b, kSizeOff, kNumLen, FitsOctal(size, kNumLen) ? size : 0);
  PutOctal(b, kMtimeOff, kNumLen, mtime_field);
  b[kTypeOff] = static_cast<char>(h.type);
  PutString(b, kLinkOff, kLinkLen, h.link);
  PutString(b, kMagicOff, 6, std::string_view("ustar\0", 6));
  PutString(b, kVersionOff, 2, "00");
  PutOctal(b, kDevMajorOff, kIdLen, h.dev_major);
  PutOctal(b, kDevMinorOff, kIdLen, h.dev_minor);
  PutString(b, kPrefixOff, kPrefixLen, prefix);
  PutChecksum(b);
  KILN_TRY(out_.Write(std::string_view(b.data(), b.size())));

  remaining_ = size;
  entry_size_ = size;
  entry_path_ = h.path;
  return OkStatus();
}

Status TarWriter::WriteData(std::string_view data) {
  if (data.size() > remaining_)
    return MakeError(ErrorCode::kBuild, "tar entry '" + entry_path_ + "': more content than the " +
                                            std::to_string(entry_size_) + " bytes announced");
  KILN_TRY(out_.Write(data));
  remaining_ -= data.size();
  if (remaining_ == 0 && !data.empty()) return PadEntry();
  return OkStatus();
}

Status TarWriter::PadEntry() {
  std::size_t tail = static_cast<std::size_t>(entry_size_ % kBlock);
  if (tail == 0) return OkStatus();
  static const Block kZero{};
  return out_.Write(std::string_view(kZero.data(), kBlock - tail));
}

Status TarWriter::WriteFileContents(const std::filesystem::path& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return MakeError(ErrorCode::kInput, "cannot open " + host_path.string() + ": " + std::strerror(errno));
  std::string buf(std::size_t{1} << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kInput, "cannot read " + host_path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    if (static_cast<std::uint64_t>(n) > remaining_)
      return MakeError(ErrorCode::kInput, host_path.string() + " grew since it was recorded (expected " +
                                              std::to_string(entry_size_) + " bytes)");
    KILN_TRY(WriteData(std::string_view(buf.data(), static_cast<std::size_t>(n))));
  }
  if (remaining_ != 0)
    return MakeError(ErrorCode::kInput, host_path.string() + " shrank since it was recorded (expected " +
                                            std::to_string(entry_size_) + " bytes)");
  return OkStatus();
}

Status TarWriter::Finish() {
  if (remaining_ != 0)
    return MakeError(ErrorCode::kBuild, "tar entry '" + entry_path_ + "' is missing " +
                                            std::to_string(remaining_) + " bytes of content");
  static const std::array<char, 2 * kBlock> kEnd{};
  return out_.Write(std::string_view(kEnd.data(), kEnd.size()));
}

}  // namespace kiln::oci
