#include "builder/verify/inspect.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/common/size.h"
#include "builder/common/text_escape.h"
#include "builder/disk/gpt.h"
#include "builder/disk/partition_types.h"
#include "builder/slots/slot_labels.h"
#include "builder/slots/slot_table.h"
#include "builder/verify/image_file.h"
#include "builder/verity/verity_format.h"
#include "signing/pkcs7.h"
#include "signing/verity_signature.h"

namespace kiln::verify {

namespace {

std::string CString(const std::string& buf, std::size_t off, std::size_t max) {
  std::string s = buf.substr(off, max);
  auto nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  return s;
}

std::string UuidAt(const std::string& buf, std::size_t off) {
  Uuid u;
  for (int i = 0; i < 16; ++i) u.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(buf[off + static_cast<std::size_t>(i)]);
  return u.ToString();
}

// Identifies the file system from its superblock magic.
void ProbeFilesystem(int fd, PartitionInfo& p) {
  std::string buf(4096, '\0');
  if (p.size < buf.size() || !verity::ReadFullAt(fd, buf.data(), buf.size(), p.offset, "partition").ok()) return;
  if (buf.compare(0, 4, "hsqs") == 0) {
    p.filesystem = "squashfs";
  } else if (buf.compare(0, 8, std::string("verity\0\0", 8)) == 0) {
    p.filesystem = "verity";
  } else if (buf.compare(0, 12, "{\"rootHash\":") == 0) {
    p.filesystem = "verity-sig";
  } else if (static_cast<unsigned char>(buf[1024 + 0x38]) == 0x53 &&
             static_cast<unsigned char>(buf[1024 + 0x39]) == 0xEF) {
    p.filesystem = "ext4";
    p.fs_uuid = UuidAt(buf, 1024 + 0x68);
    p.fs_label = CString(buf, 1024 + 0x78, 16);
    p.mountpoint = CString(buf, 1024 + 0x88, 64);
  } else if (buf.compare(82, 5, "FAT32") == 0 || buf.compare(54, 3, "FAT") == 0) {
    p.filesystem = "vfat";
    p.fs_label = CString(buf, buf.compare(82, 5, "FAT32") == 0 ? 71 : 43, 11);
    while (!p.fs_label.empty() && p.fs_label.back() == ' ') p.fs_label.pop_back();
  } else {
    p.filesystem = "unknown";
  }
}

// Slots of an A/B disk, for any architecture whose root type occurs twice; none otherwise.
std::vector<SlotInfo> DescribeSlots(const disk::DiskLayout& layout, const std::vector<std::string>& signature_hashes) {
  for (Architecture arch : {Architecture::kX86_64, Architecture::kArm64}) {
    Result<slots::SlotTable> table = slots::FindSlots(layout, arch);
    if (!table.ok()) continue;
    std::vector<SlotInfo> out;
    for (slots::SlotName name : {slots::SlotName::kA, slots::SlotName::kB}) {
      const slots::SlotPartitions& parts = (*table)[name];
      SlotInfo info;
      info.name = slots::SlotNameText(name);
      info.partitions = {static_cast<int>(parts.root) + 1, static_cast<int>(parts.verity) + 1,
                         static_cast<int>(parts.signature) + 1};
      info.root_hash = signature_hashes.at(parts.signature);
      std::optional<slots::SlotLabelParts> label = slots::ParseSlotLabel(layout.partitions[parts.root].label);
      slots::SlotContent content = slots::DescribeSlot(layout, parts, label ? label->image : "");
      info.state = content.empty ? "empty" : !content.version.empty() ? "version" : "unknown";
      if (!content.version.empty()) {
        info.image = label->image;
        info.version = content.version;
      }
      out.push_back(std::move(info));
    }
    return out;
  }
  return {};
}

}  // namespace

Result<InspectResult> InspectImage(const std::filesystem::path& image, const std::filesystem::path& work_dir,
                                   bool allow_external_files) {
  InspectResult r;
  KILN_ASSIGN_OR_RETURN(r.format, DetectImageFormat(image));
  KILN_ASSIGN_OR_RETURN(OpenImage img, OpenRawImage(image, work_dir, allow_external_files));
  KILN_ASSIGN_OR_RETURN(disk::DiskLayout layout, disk::ReadGpt(img.fd()));
  r.disk_guid = layout.disk_guid.ToString();
  r.disk_size = layout.size_bytes;
  int n = 0;
  std::vector<std::string> signature_hashes(layout.partitions.size());
  for (auto& part : layout.partitions) {
    PartitionInfo p;
    p.number = ++n;
    p.type_name = disk::PartitionTypeName(part.type);
    p.type_uuid = part.type.ToString();
    p.uuid = part.uuid.ToString();
    p.label = part.label;
    p.offset = part.offset;
    p.size = part.size;
    if (part.attributes & disk::kAttrRequired) p.flags.push_back("required");
    if (part.attributes & disk::kAttrGrowFileSystem) p.flags.push_back("grow-file-system");
    if (part.attributes & disk::kAttrReadOnly) p.flags.push_back("read-only");
    if (part.attributes & disk::kAttrNoAuto) p.flags.push_back("no-auto");
    ProbeFilesystem(img.fd(), p);
    if (p.filesystem == "verity-sig" && part.size <= kMaxSignaturePartitionSize) {
      std::string bytes(part.size, '\0');
      if (verity::ReadFullAt(img.fd(), bytes.data(), bytes.size(), part.offset, "signature").ok()) {
        auto sig = signing::ParseVeritySignature(bytes);
        signature_hashes[static_cast<std::size_t>(n - 1)] = sig.ok() ? sig->root_hash_hex : "";
        if (sig.ok() && r.root_hash.empty()) {  // the first: slot A's on an A/B disk
          r.root_hash = sig->root_hash_hex;
          r.signer_fingerprint = sig->certificate_fingerprint;
          auto cert = signing::Pkcs7SignerCertificate(sig->signature_der);
          if (cert.ok()) r.signer_subject = signing::CertificateSubject(*cert);
        }
      }
    }
    if (p.filesystem == "ext4" && !p.mountpoint.empty()) r.data_mountpoint = p.mountpoint;
    r.partitions.push_back(std::move(p));
  }
  r.slots = DescribeSlots(layout, signature_hashes);
  if (r.root_hash.empty()) {
    // Unsigned image: the verity superblock still tells the tree, not the hash; read the pair's
    // UUIDs, which carry the root hash's halves.
    std::string first, second;
    for (auto& p : r.partitions) {
      auto t = disk::FindPartitionType(*Uuid::Parse(p.type_uuid));
      if (!t) continue;
      std::string hex = p.uuid;
      hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
      if (t->role == disk::PartitionRole::kRoot) first = hex;
      if (t->role == disk::PartitionRole::kRootVerity) second = hex;
    }
    if (!first.empty() && !second.empty()) r.root_hash = first + second;
  }
  return r;
}

std::string InspectToJson(const InspectResult& r) {
  nlohmann::json j;
  j["format"] = r.format;
  j["diskGuid"] = r.disk_guid;
  j["size"] = r.disk_size;
  j["rootHash"] = r.root_hash;
  j["signer"] = {{"subject", r.signer_subject}, {"fingerprint", r.signer_fingerprint}};
  j["dataMountpoint"] = r.data_mountpoint;
  j["partitions"] = nlohmann::json::array();
  for (auto& p : r.partitions)
    j["partitions"].push_back({{"number", p.number}, {"type", p.type_name}, {"typeUuid", p.type_uuid},
                               {"uuid", p.uuid}, {"label", p.label}, {"offset", p.offset}, {"size", p.size},
                               {"flags", p.flags}, {"filesystem", p.filesystem}, {"fsLabel", p.fs_label},
                               {"fsUuid", p.fs_uuid}, {"mountpoint", p.mountpoint}});
  if (!r.slots.empty()) {
    j["slots"] = nlohmann::json::array();
    for (auto& slot : r.slots)
      j["slots"].push_back({{"slot", slot.name}, {"state", slot.state}, {"image", slot.image},
                            {"version", slot.version}, {"rootHash", slot.root_hash},
                            {"partitions", slot.partitions}});
  }
  // Labels and names are the image's bytes: invalid UTF-8 becomes U+FFFD instead of a throw.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string InspectToText(const InspectResult& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "disk %s  %s  (%s, %llu bytes)\n", r.format.c_str(), r.disk_guid.c_str(),
                FormatSize(r.disk_size).c_str(), static_cast<unsigned long long>(r.disk_size));
  out += line;
  // Everything but the numbers comes from the image: escaped, so no terminal sequence passes.
  const auto E = [](const std::string& v) { return EscapeForTerminal(v); };
  for (auto& p : r.partitions) {
    std::string flags;
    for (auto& f : p.flags) flags += (flags.empty() ? "" : ",") + f;
    std::snprintf(line, sizeof line, "  %d  %-24s %-10s %-22s offset %-12llu size %-10s %s  %s\n", p.number,
                  p.type_name.c_str(), p.filesystem.c_str(), E(p.label).c_str(),
                  static_cast<unsigned long long>(p.offset), FormatSize(p.size).c_str(), p.uuid.c_str(),
                  flags.c_str());
    out += line;
  }
  if (!r.root_hash.empty()) out += "root hash    " + E(r.root_hash) + "\n";
  if (!r.signer_subject.empty() || !r.signer_fingerprint.empty())
    out += "signed by    " + E(r.signer_subject) + " (sha256 " + E(r.signer_fingerprint) + ")\n";
  else
    out += "signed by    (unsigned)\n";
  if (!r.data_mountpoint.empty()) out += "data mounted " + E(r.data_mountpoint) + "\n";
  for (auto& slot : r.slots) {
    std::string what = slot.state == "version" ? E(slot.image) + " " + E(slot.version)
                       : slot.state == "empty" ? std::string("empty")
                                               : std::string("unknown (labels name no single version)");
    std::string numbers;
    for (int number : slot.partitions) numbers += (numbers.empty() ? "" : ",") + std::to_string(number);
    out += "slot " + slot.name + "       " + what + "  (partitions " + numbers + ")";
    if (!slot.root_hash.empty()) out += "  root hash " + E(slot.root_hash);
    out += "\n";
  }
  return out;
}

}  // namespace kiln::verify
