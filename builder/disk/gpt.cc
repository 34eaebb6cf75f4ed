#include "builder/disk/gpt.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace kiln::disk {
namespace {

constexpr char kSignature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};
constexpr std::uint32_t kRevision = 0x00010000;
constexpr std::uint32_t kHeaderSize = 92;
constexpr std::size_t kLabelUnits = 36;

using Sector = std::array<std::uint8_t, kSectorSize>;

void Put16(std::uint8_t* p, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void Put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void Put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t Get32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t Get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint32_t Crc32(const std::uint8_t* data, std::size_t size) {
  return static_cast<std::uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

Status PWriteAll(int fd, const void* data, std::size_t size, std::uint64_t offset) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return MakeError(ErrorCode::kIo, "cannot write the partition table at byte " +
                                           std::to_string(offset) + ": " + std::strerror(errno));
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

Status PReadAll(int fd, void* data, std::size_t size, std::uint64_t offset) {
  auto* p = static_cast<std::uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return MakeError(ErrorCode::kIo, "cannot read the disk at byte " + std::to_string(offset) +
                                           ": " + std::strerror(errno));
    if (n == 0)
      return MakeError(ErrorCode::kInput, "disk image ends before byte " + std::to_string(offset));
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

Result<std::uint64_t> DeviceSize(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return MakeError(ErrorCode::kIo, std::string("cannot stat the disk: ") + std::strerror(errno));
  if (S_ISBLK(st.st_mode)) {
    std::uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0)
      return MakeError(ErrorCode::kIo, std::string("cannot get the device size: ") + std::strerror(errno));
    return size;
  }
  return static_cast<std::uint64_t>(st.st_size);
}

std::vector<std::uint8_t> EncodeEntries(const DiskLayout& layout) {
  std::vector<std::uint8_t> entries(kGptEntryCount * kGptEntrySize, 0);
  for (std::size_t i = 0; i < layout.partitions.size(); ++i) {
    const Partition& p = layout.partitions[i];
    std::uint8_t* e = entries.data() + i * kGptEntrySize;
    auto type = p.type.ToGptBytes();
    auto uuid = p.uuid.ToGptBytes();
    std::copy(type.begin(), type.end(), e);
    std::copy(uuid.begin(), uuid.end(), e + 16);
    Put64(e + 32, p.first_lba());
    Put64(e + 40, p.last_lba());
    Put64(e + 48, p.attributes);
    std::u16string name = Utf8ToUtf16(p.label).value();  // validated by the caller
    for (std::size_t j = 0; j < name.size(); ++j) Put16(e + 56 + 2 * j, name[j]);
  }
  return entries;
}

Sector EncodeHeader(const DiskLayout& layout, std::uint64_t my_lba, std::uint64_t alternate_lba,
                    std::uint64_t entries_lba, std::uint32_t entries_crc) {
  const std::uint64_t last_lba = layout.size_bytes / kSectorSize - 1;
  Sector h{};
  std::memcpy(h.data(), kSignature, 8);
  Put32(h.data() + 8, kRevision);
  Put32(h.data() + 12, kHeaderSize);
  Put64(h.data() + 24, my_lba);
  Put64(h.data() + 32, alternate_lba);
  Put64(h.data() + 40, kGptFirstUsableLba);
  Put64(h.data() + 48, last_lba - kGptBackupSectors);
  auto guid = layout.disk_guid.ToGptBytes();
  std::copy(guid.begin(), guid.end(), h.data() + 56);
  Put64(h.data() + 72, entries_lba);
  Put32(h.data() + 80, kGptEntryCount);
  Put32(h.data() + 84, kGptEntrySize);
  Put32(h.data() + 88, entries_crc);
  Put32(h.data() + 16, Crc32(h.data(), kHeaderSize));
  return h;
}

Sector EncodeProtectiveMbr(std::uint64_t total_sectors) {
  Sector m{};
  std::uint8_t* e = m.data() + 446;
  // One partition of type 0xEE covering the disk (or as much as 32 bits can say), so
  // MBR-only tools see the disk as in use; CHS values are the conventional placeholders.
  e[1] = 0x00; e[2] = 0x02; e[3] = 0x00;  // CHS of LBA 1
  e[4] = 0xEE;
  e[5] = 0xFF; e[6] = 0xFF; e[7] = 0xFF;
  Put32(e + 8, 1);
  Put32(e + 12, static_cast<std::uint32_t>(std::min<std::uint64_t>(total_sectors - 1, 0xFFFFFFFFu)));
  m[510] = 0x55;
  m[511] = 0xAA;
  return m;
}

struct ParsedHeader {
  std::uint64_t my_lba = 0, alternate_lba = 0, first_usable = 0, last_usable = 0, entries_lba = 0;
  std::uint32_t entry_count = 0, entry_size = 0, entries_crc = 0;
  Uuid disk_guid;
};

// Reads and checks the header at `lba` and its entries; the error message says what is wrong.
Result<std::pair<ParsedHeader, std::vector<std::uint8_t>>> ReadHeaderAt(int fd, std::uint64_t lba,
                                                                        std::uint64_t disk_sectors) {
  Sector h{};
  KILN_TRY(PReadAll(fd, h.data(), h.size(), lba * kSectorSize));
  if (std::memcmp(h.data(), kSignature, 8) != 0)
    return MakeError(ErrorCode::kIntegrity, "no 'EFI PART' signature at LBA " + std::to_string(lba));
  std::uint32_t header_size = Get32(h.data() + 12);
  if (header_size < kHeaderSize || header_size > kSectorSize)
    return MakeError(ErrorCode::kIntegrity, "GPT header at LBA " + std::to_string(lba) +
                                                " has a bad header size " + std::to_string(header_size));
  std::uint32_t stored_crc = Get32(h.data() + 16);
  Sector copy = h;
  Put32(copy.data() + 16, 0);
  std::uint32_t crc = Crc32(copy.data(), header_size);
  if (crc != stored_crc)
    return MakeError(ErrorCode::kIntegrity, "GPT header at LBA " + std::to_string(lba) +
                                                " has a bad CRC32 (stored " + std::to_string(stored_crc) +
                                                ", computed " + std::to_string(crc) + ")");
  ParsedHeader p;
  p.my_lba = Get64(h.data() + 24);
  p.alternate_lba = Get64(h.data() + 32);
  p.first_usable = Get64(h.data() + 40);
  p.last_usable = Get64(h.data() + 48);
  p.disk_guid = Uuid::FromGptBytes(h.data() + 56);
  p.entries_lba = Get64(h.data() + 72);
  p.entry_count = Get32(h.data() + 80);
  p.entry_size = Get32(h.data() + 84);
  p.entries_crc = Get32(h.data() + 88);
  if (p.my_lba != lba)
    return MakeError(ErrorCode::kIntegrity, "GPT header at LBA " + std::to_string(lba) +
                                                " says it is at LBA " + std::to_string(p.my_lba));
  // UEFI sizes entries 128 * 2^n bytes; anything above 4 KiB only serves to make a reader
  // allocate (the array is read into memory before its CRC can be checked).
  if (p.entry_size < 128 || p.entry_size > 4096 || p.entry_size % 8 != 0 || p.entry_count == 0 ||
      p.entry_count > 1024)
    return MakeError(ErrorCode::kIntegrity, "GPT header at LBA " + std::to_string(lba) +
                                                " has an unsupported entry array (" +
                                                std::to_string(p.entry_count) + " x " +
                                                std::to_string(p.entry_size) + " bytes)");
  std::uint64_t bytes = std::uint64_t{p.entry_count} * p.entry_size;
  if (p.entries_lba >= disk_sectors || p.entries_lba + (bytes + kSectorSize - 1) / kSectorSize > disk_sectors)
    return MakeError(ErrorCode::kIntegrity, "GPT entries of the header at LBA " + std::to_string(lba) +
                                                " lie outside the disk");
  std::vector<std::uint8_t> entries(bytes);
  KILN_TRY(PReadAll(fd, entries.data(), entries.size(), p.entries_lba * kSectorSize));
  std::uint32_t entries_crc = Crc32(entries.data(), entries.size());
  if (entries_crc != p.entries_crc)
    return MakeError(ErrorCode::kIntegrity, "GPT partition entries at LBA " + std::to_string(p.entries_lba) +
                                                " have a bad CRC32 (stored " + std::to_string(p.entries_crc) +
                                                ", computed " + std::to_string(entries_crc) + ")");
  return std::make_pair(p, std::move(entries));
}

}  // namespace

Result<std::u16string> Utf8ToUtf16(const std::string& utf8) {
  std::u16string out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
    else return MakeError(ErrorCode::kInput, "label '" + utf8 + "' is not valid UTF-8");
    if (i + len > utf8.size()) return MakeError(ErrorCode::kInput, "label '" + utf8 + "' is not valid UTF-8");
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(utf8[i + k]);
      if ((cc & 0xC0) != 0x80) return MakeError(ErrorCode::kInput, "label '" + utf8 + "' is not valid UTF-8");
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return MakeError(ErrorCode::kInput, "label '" + utf8 + "' is not valid UTF-8");
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

std::string Utf16ToUtf8(const std::u16string& utf16) {
  std::string out;
  for (std::size_t i = 0; i < utf16.size(); ++i) {
    std::uint32_t cp = utf16[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < utf16.size() && utf16[i + 1] >= 0xDC00 &&
        utf16[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (utf16[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;  // unpaired surrogate in a label written by someone else
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

std::vector<std::string> AttributeNames(std::uint64_t attributes) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    if (!(attributes & (1ULL << bit))) continue;
    switch (bit) {
      case 0: names.push_back("required"); break;
      case 1: names.push_back("no-block-io"); break;
      case 2: names.push_back("legacy-bios-bootable"); break;
      case 59: names.push_back("grow-file-system"); break;
      case 60: names.push_back("read-only"); break;
      case 63: names.push_back("no-auto"); break;
      default: names.push_back("bit-" + std::to_string(bit));
    }
  }
  return names;
}

Status ValidateLayout(const DiskLayout& layout) {
  auto fail = [](std::string m) { return MakeError(ErrorCode::kBuild, "partition table: " + std::move(m)); };
  if (layout.size_bytes % kSectorSize != 0)
    return fail("disk size " + std::to_string(layout.size_bytes) + " is not a multiple of 512 bytes");
  const std::uint64_t sectors = layout.size_bytes / kSectorSize;
  if (sectors < kGptFirstUsableLba + kGptBackupSectors + 1)
    return fail("disk size " + std::to_string(layout.size_bytes) + " bytes is too small for a GPT");
  if (layout.partitions.size() > kGptEntryCount)
    return fail(std::to_string(layout.partitions.size()) + " partitions, a GPT holds 128");
  const std::uint64_t last_usable = sectors - 1 - kGptBackupSectors;
  std::vector<std::pair<std::uint64_t, std::size_t>> starts;
  for (std::size_t i = 0; i < layout.partitions.size(); ++i) {
    const Partition& p = layout.partitions[i];
    std::string who = "partition " + std::to_string(i + 1) + " ('" + p.label + "')";
    if (p.type.IsNil()) return fail(who + " has no type");
    if (p.offset % kSectorSize != 0 || p.size % kSectorSize != 0 || p.size == 0)
      return fail(who + " offset " + std::to_string(p.offset) + " / size " + std::to_string(p.size) +
                  " are not whole, non-empty 512-byte sectors");
    if (p.first_lba() < kGptFirstUsableLba || p.last_lba() > last_usable)
      return fail(who + " (bytes " + std::to_string(p.offset) + ".." + std::to_string(p.end()) +
                  ") lies outside the usable area of a " + std::to_string(layout.size_bytes) + "-byte disk");
    Result<std::u16string> name = Utf8ToUtf16(p.label);
    if (!name.ok()) return fail(who + ": " + name.error().message);
    if (name->size() > kLabelUnits)
      return fail(who + " label is " + std::to_string(name->size()) + " UTF-16 units long, at most 36 fit");
    starts.emplace_back(p.offset, i);
  }
  std::sort(starts.begin(), starts.end());
  for (std::size_t k = 1; k < starts.size(); ++k) {
    const Partition& a = layout.partitions[starts[k - 1].second];
    const Partition& b = layout.partitions[starts[k].second];
    if (a.end() > b.offset) return fail("partitions '" + a.label + "' and '" + b.label + "' overlap");
  }
  return OkStatus();
}

Status WriteGpt(int fd, const DiskLayout& layout) {
  KILN_TRY(ValidateLayout(layout));
  KILN_ASSIGN_OR_RETURN(std::uint64_t current, DeviceSize(fd));
  if (current < layout.size_bytes && ::ftruncate(fd, static_cast<off_t>(layout.size_bytes)) != 0)
    return MakeError(ErrorCode::kIo, "cannot extend the disk image to " + std::to_string(layout.size_bytes) +
                                         " bytes: " + std::strerror(errno));
  const std::uint64_t sectors = layout.size_bytes / kSectorSize;
  const std::uint64_t last_lba = sectors - 1;
  const std::uint64_t backup_entries_lba = last_lba - kGptEntrySectors;

  std::vector<std::uint8_t> entries = EncodeEntries(layout);
  std::uint32_t entries_crc = Crc32(entries.data(), entries.size());
  Sector mbr = EncodeProtectiveMbr(sectors);
  Sector primary = EncodeHeader(layout, 1, last_lba, 2, entries_crc);
  Sector backup = EncodeHeader(layout, last_lba, 1, backup_entries_lba, entries_crc);

  KILN_TRY(PWriteAll(fd, mbr.data(), mbr.size(), 0));
  KILN_TRY(PWriteAll(fd, primary.data(), primary.size(), kSectorSize));
  KILN_TRY(PWriteAll(fd, entries.data(), entries.size(), 2 * kSectorSize));
  KILN_TRY(PWriteAll(fd, entries.data(), entries.size(), backup_entries_lba * kSectorSize));
  KILN_TRY(PWriteAll(fd, backup.data(), backup.size(), last_lba * kSectorSize));
  return OkStatus();
}

Result<DiskLayout> ReadGpt(int fd, std::string* note) {
  KILN_ASSIGN_OR_RETURN(std::uint64_t size, DeviceSize(fd));
  const std::uint64_t sectors = size / kSectorSize;
  if (sectors < kGptFirstUsableLba + kGptBackupSectors + 1)
    return MakeError(ErrorCode::kInput, "disk of " + std::to_string(size) + " bytes is too small to hold a GPT");

  auto primary = ReadHeaderAt(fd, 1, sectors);
  std::optional<std::pair<ParsedHeader, std::vector<std::uint8_t>>> used;
  if (primary.ok()) {
    used = std::move(primary).value();
  } else {
    auto backup = ReadHeaderAt(fd, sectors - 1, sectors);
    if (!backup.ok())
      return MakeError(ErrorCode::kIntegrity, "no valid GPT: primary: " + primary.error().message +
                                                  "; backup: " + backup.error().message);
    if (note)
      *note = "primary GPT is damaged (" + primary.error().message + "); using the backup at LBA " +
              std::to_string(sectors - 1);
    used = std::move(backup).value();
  }
  const auto& [h, entries] = *used;

  DiskLayout layout;
  layout.disk_guid = h.disk_guid;
  // The disk ends where the backup header says, which for an image file is its size.
  std::uint64_t last_lba = std::max(h.my_lba, h.alternate_lba);
  layout.size_bytes = (last_lba + 1) * kSectorSize;
  for (std::uint32_t i = 0; i < h.entry_count; ++i) {
    const std::uint8_t* e = entries.data() + std::size_t{i} * h.entry_size;
    Partition p;
    p.type = Uuid::FromGptBytes(e);
    if (p.type.IsNil()) continue;
    p.uuid = Uuid::FromGptBytes(e + 16);
    std::uint64_t first = Get64(e + 32), last = Get64(e + 40);
    if (last < first || last >= sectors)
      return MakeError(ErrorCode::kIntegrity, "GPT entry " + std::to_string(i + 1) + " spans LBA " +
                                                  std::to_string(first) + ".." + std::to_string(last) +
                                                  ", outside a disk of " + std::to_string(sectors) + " sectors");
    p.offset = first * kSectorSize;
    p.size = (last - first + 1) * kSectorSize;
    p.attributes = Get64(e + 48);
    std::u16string name;
    for (std::size_t j = 0; j < kLabelUnits; ++j) {
      char16_t c = static_cast<char16_t>(e[56 + 2 * j] | (e[57 + 2 * j] << 8));
      if (c == 0) break;
      name.push_back(c);
    }
    p.label = Utf16ToUtf8(name);
    layout.partitions.push_back(std::move(p));
  }
  return layout;
}

}  // namespace kiln::disk
