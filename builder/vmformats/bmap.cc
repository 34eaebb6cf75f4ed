#include "builder/vmformats/bmap.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "builder/common/sha256.h"
#include "builder/common/unique_fd.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {

namespace {

constexpr std::size_t kMaxBmapSize = 64 << 20;
constexpr std::size_t kMaxRanges = 1 << 22;
const std::string kZeroChecksum(64, '0');

bool AllZero(const char* p, std::size_t n) {
  static const char zeros[kBmapBlockSize] = {};
  return std::memcmp(p, zeros, n) == 0;
}

// Text between <tag> and </tag> (first occurrence from pos), trimmed; pos moves past it.
Result<std::string_view> Element(std::string_view xml, std::string_view tag, std::size_t* pos = nullptr) {
  std::size_t from = pos ? *pos : 0;
  const std::string open = "<" + std::string(tag), close = "</" + std::string(tag) + ">";
  std::size_t a = xml.find(open, from);
  if (a == std::string_view::npos) return MakeError(ErrorCode::kInput, "bmap: no <" + std::string(tag) + ">");
  std::size_t gt = xml.find('>', a);
  std::size_t b = gt == std::string_view::npos ? gt : xml.find(close, gt);
  if (b == std::string_view::npos) return MakeError(ErrorCode::kInput, "bmap: unterminated <" + std::string(tag) + ">");
  if (pos) *pos = b + close.size();
  std::string_view v = xml.substr(gt + 1, b - gt - 1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

Result<std::uint64_t> Number(std::string_view s, const std::string& what) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return MakeError(ErrorCode::kInput, "bmap: " + what + " is not a number");
  return std::stoull(std::string(s));
}

}  // namespace

std::uint64_t BlockMap::MappedBlocks() const {
  std::uint64_t n = 0;
  for (auto& r : ranges) n += r.last - r.first + 1;
  return n;
}

Result<BlockMap> ComputeBlockMap(const std::filesystem::path& image) {
  KILN_ASSIGN_OR_RETURN(UniqueFd fd, OpenForReading(image));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + image.string());
  BlockMap map;
  map.image_size = static_cast<std::uint64_t>(st.st_size);
  map.blocks_count = (map.image_size + kBmapBlockSize - 1) / kBmapBlockSize;
  Sha256 sha;
  bool open = false;
  std::uint64_t block = 0;
  auto close_range = [&] {
    map.ranges.back().sha256 = ToHex(sha.Finish());
    sha.Reset();
    open = false;
  };
  KILN_TRY(StreamRange(fd.get(), 0, map.image_size, image.string(), [&](std::string_view chunk) {
    for (std::size_t at = 0; at < chunk.size(); at += kBmapBlockSize, ++block) {
      const std::size_t n = std::min<std::size_t>(kBmapBlockSize, chunk.size() - at);
      if (AllZero(chunk.data() + at, n)) {
        if (open) close_range();
        continue;
      }
      if (!open) {
        map.ranges.push_back({block, block, ""});
        open = true;
      }
      map.ranges.back().last = block;
      sha.Update(chunk.data() + at, n);
    }
    return OkStatus();
  }));
  if (open) close_range();
  return map;
}

std::string FormatBmap(const BlockMap& map) {
  const std::uint64_t mapped = map.MappedBlocks();
  std::string x;
  x += "<?xml version=\"1.0\" ?>\n";
  // (XML comments may not contain "--".)
  x += "<!-- The block map of a raw image made by kiln: the blocks that hold data, with a SHA-256\n"
       "     per range. bmaptool copy and kiln flash write only these blocks. -->\n";
  x += "<bmap version=\"2.0\">\n";
  x += "    <ImageSize> " + std::to_string(map.image_size) + " </ImageSize>\n";
  x += "    <BlockSize> " + std::to_string(map.block_size) + " </BlockSize>\n";
  x += "    <BlocksCount> " + std::to_string(map.blocks_count) + " </BlocksCount>\n";
  x += "    <MappedBlocksCount> " + std::to_string(mapped) + " </MappedBlocksCount>\n";
  x += "    <ChecksumType> sha256 </ChecksumType>\n";
  x += "    <BmapFileChecksum> " + kZeroChecksum + " </BmapFileChecksum>\n";
  x += "    <BlockMap>\n";
  for (auto& r : map.ranges) {
    x += "        <Range chksum=\"" + r.sha256 + "\"> ";
    x += r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
    x += " </Range>\n";
  }
  x += "    </BlockMap>\n</bmap>\n";
  // bmaptool's rule: the file's SHA-256 with the checksum field all '0', written in its place.
  const std::string sum = ToHex(Sha256Of(x));
  x.replace(x.find(kZeroChecksum), kZeroChecksum.size(), sum);
  return x;
}

// The XML without its comments (bmaptool's own comments quote element names).
static Result<std::string> StripComments(std::string_view xml) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t c; (c = xml.find("<!--", at)) != std::string_view::npos;) {
    std::size_t e = xml.find("-->", c + 4);
    if (e == std::string_view::npos) return MakeError(ErrorCode::kInput, "bmap: unterminated comment");
    out.append(xml.substr(at, c - at));
    at = e + 3;
  }
  out.append(xml.substr(at));
  return out;
}

Result<BlockMap> ParseBmap(std::string_view original) {
  if (original.size() > kMaxBmapSize) return MakeError(ErrorCode::kInput, "bmap: larger than 64 MiB");
  KILN_ASSIGN_OR_RETURN(std::string stripped, StripComments(original));
  std::string_view xml = stripped;
  std::size_t v = xml.find("<bmap version=\"");
  if (v == std::string_view::npos || xml.compare(v + 15, 2, "2.") != 0)
    return MakeError(ErrorCode::kInput, "bmap: not a block map of format version 2");
  BlockMap map;
  KILN_ASSIGN_OR_RETURN(std::string_view size, Element(xml, "ImageSize"));
  KILN_ASSIGN_OR_RETURN(map.image_size, Number(size, "ImageSize"));
  KILN_ASSIGN_OR_RETURN(std::string_view bs, Element(xml, "BlockSize"));
  KILN_ASSIGN_OR_RETURN(std::uint64_t block_size, Number(bs, "BlockSize"));
  if (block_size < 512 || block_size > (1 << 20) || (block_size & (block_size - 1)) != 0)
    return MakeError(ErrorCode::kInput, "bmap: BlockSize " + std::to_string(block_size) + " is not a power of two from 512 to 1 MiB");
  map.block_size = static_cast<std::uint32_t>(block_size);
  KILN_ASSIGN_OR_RETURN(std::string_view bc, Element(xml, "BlocksCount"));
  KILN_ASSIGN_OR_RETURN(map.blocks_count, Number(bc, "BlocksCount"));
  if (map.blocks_count != (map.image_size + block_size - 1) / block_size)
    return MakeError(ErrorCode::kInput, "bmap: BlocksCount does not match ImageSize");
  KILN_ASSIGN_OR_RETURN(std::string_view type, Element(xml, "ChecksumType"));
  if (type != "sha256") return MakeError(ErrorCode::kInput, "bmap: checksum type is not sha256");
  KILN_ASSIGN_OR_RETURN(std::string_view file_sum, Element(xml, "BmapFileChecksum"));
  if (!IsSha256Hex(file_sum)) return MakeError(ErrorCode::kInput, "bmap: BmapFileChecksum is not a SHA-256");
  std::string zeroed(original);
  zeroed.replace(zeroed.find(file_sum), 64, kZeroChecksum);  // bmaptool zeroes the first occurrence too
  if (ToHex(Sha256Of(zeroed)) != file_sum) return MakeError(ErrorCode::kIntegrity, "bmap: the file's checksum does not match");
  KILN_ASSIGN_OR_RETURN(std::string_view mc, Element(xml, "MappedBlocksCount"));
  KILN_ASSIGN_OR_RETURN(std::uint64_t mapped, Number(mc, "MappedBlocksCount"));
  std::size_t pos = 0;
  KILN_ASSIGN_OR_RETURN(std::string_view body, Element(xml, "BlockMap", &pos));
  std::size_t at = 0;
  while ((at = body.find("<Range", at)) != std::string_view::npos) {
    if (map.ranges.size() >= kMaxRanges) return MakeError(ErrorCode::kInput, "bmap: too many ranges");
    std::size_t gt = body.find('>', at), end = body.find("</Range>", at);
    if (gt == std::string_view::npos || end == std::string_view::npos || end < gt)
      return MakeError(ErrorCode::kInput, "bmap: malformed <Range>");
    std::string_view attrs = body.substr(at, gt - at);
    BmapRange r;
    std::size_t c = attrs.find("chksum=\"");
    if (c == std::string_view::npos || c + 8 + 64 >= attrs.size() || attrs[c + 8 + 64] != '"' ||
        !IsSha256Hex(attrs.substr(c + 8, 64)))
      return MakeError(ErrorCode::kInput, "bmap: a range has no sha256 chksum");
    r.sha256 = std::string(attrs.substr(c + 8, 64));
    std::string_view text = body.substr(gt + 1, end - gt - 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    std::size_t dash = text.find('-');
    KILN_ASSIGN_OR_RETURN(r.first, Number(text.substr(0, dash), "a range"));
    r.last = r.first;
    if (dash != std::string_view::npos) {
      KILN_ASSIGN_OR_RETURN(r.last, Number(text.substr(dash + 1), "a range"));
    }
    if (r.last < r.first || r.last >= map.blocks_count || (!map.ranges.empty() && r.first <= map.ranges.back().last))
      return MakeError(ErrorCode::kInput, "bmap: range " + std::string(text) + " is out of order or outside the image");
    map.ranges.push_back(std::move(r));
    at = end + 8;
  }
  if (map.MappedBlocks() != mapped) return MakeError(ErrorCode::kInput, "bmap: MappedBlocksCount does not match the ranges");
  return map;
}

}  // namespace kiln::vmformats
