#include "builder/bootloader/uki.h"

#include <cstdio>
#include <fstream>

#include "builder/common/files.h"
#include "builder/common/size.h"
#include "builder/common/subprocess.h"

namespace kiln::bootloader {

namespace fs = std::filesystem;

namespace {

template <typename T>
T LoadLe(const std::string& data, std::size_t offset) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<unsigned char>(data[offset + i])) << (8 * i);
  return value;
}

std::string Hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Result<PeImageInfo> ReadPeImageInfo(const fs::path& pe) {
  std::ifstream in(pe, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInput, pe.string() + " is not a PE32+ EFI program: " + why);
  };
  if (head.size() < 0x40 || head.compare(0, 2, "MZ") != 0) return bad("no MZ header");
  const std::uint32_t pe_offset = LoadLe<std::uint32_t>(head, 0x3c);
  // "PE\0\0", then the 20-byte COFF header, then the optional header.
  if (pe_offset + 24 + 64 > head.size() || head.compare(pe_offset, 4, std::string("PE\0\0", 4)) != 0)
    return bad("no PE signature");
  const std::size_t opt = pe_offset + 24;
  if (LoadLe<std::uint16_t>(head, opt) != 0x20b) return bad("not PE32+");
  PeImageInfo info;
  info.image_base = LoadLe<std::uint64_t>(head, opt + 24);
  info.section_alignment = LoadLe<std::uint32_t>(head, opt + 32);
  info.size_of_image = LoadLe<std::uint32_t>(head, opt + 56);
  if (info.section_alignment == 0) return bad("zero section alignment");
  return info;
}

std::vector<UkiSection> PlaceSections(const PeImageInfo& stub, std::vector<UkiSection> sections) {
  std::uint64_t rva = AlignUp(stub.size_of_image, 4096);
  for (UkiSection& s : sections) {
    s.vma = stub.image_base + rva;
    rva = AlignUp(rva + s.size, 4096);
  }
  return sections;
}

Status BuildUki(const UkiInputs& in, const fs::path& work_dir, const fs::path& out) {
  KILN_ASSIGN_OR_RETURN(PeImageInfo info, ReadPeImageInfo(in.stub));
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  const fs::path osrel = work_dir / "osrel", cmdline = work_dir / "cmdline", uname = work_dir / "uname";
  KILN_TRY(WriteFile(osrel, in.os_release));
  KILN_TRY(WriteFile(cmdline, in.cmdline));
  KILN_TRY(WriteFile(uname, in.uname));
  auto size_of = [&](const fs::path& p) -> Result<std::uint64_t> {
    std::error_code e;
    auto n = fs::file_size(p, e);
    if (e) return MakeError(ErrorCode::kIo, "cannot read " + p.string() + ": " + e.message());
    return static_cast<std::uint64_t>(n);
  };
  std::vector<UkiSection> sections = {{".osrel", osrel, 0, 0},   {".cmdline", cmdline, 0, 0},
                                      {".uname", uname, 0, 0},   {".initrd", in.initrd, 0, 0},
                                      {".linux", in.kernel, 0, 0}};
  for (UkiSection& section : sections) {
    KILN_ASSIGN_OR_RETURN(section.size, size_of(section.contents));
  }
  sections = PlaceSections(info, std::move(sections));

  const fs::path tmp = out.string() + ".tmp";
  ProcessSpec spec;
  // -p keeps the stub's PE timestamp; without it objcopy stamps the wall clock into the header.
  spec.argv = {"objcopy", "-p"};
  for (const UkiSection& s : sections) {
    spec.argv.push_back("--add-section");
    spec.argv.push_back(s.name + "=" + s.contents.string());
    spec.argv.push_back("--change-section-vma");
    spec.argv.push_back(s.name + "=" + Hex(s.vma));
  }
  spec.argv.push_back(in.stub.string());
  spec.argv.push_back(tmp.string());
  auto run = RunChecked(spec).WithContext("building the unified kernel image");
  if (!run.ok()) {
    fs::remove(tmp, ec);
    return std::move(run).error();
  }
  fs::permissions(tmp, fs::perms(0644), ec);
  fs::rename(tmp, out, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot rename " + tmp.string() + ": " + ec.message());
  return OkStatus();
}

}  // namespace kiln::bootloader
