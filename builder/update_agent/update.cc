#include "builder/update_agent/update.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <thread>
#include <nlohmann/json.hpp>

#include "builder/common/text_escape.h"
#include "builder/slots/slot_labels.h"
#include "builder/update_agent/boot_entries.h"
#include "builder/update_agent/esp_mount.h"
#include "builder/update_agent/partition_sink.h"
#include "builder/verity/verity_check.h"

namespace kiln::update_agent {

namespace fs = std::filesystem;

namespace {

using channel::ChannelFile;
using channel::ChannelVersion;

Result<Digest> DigestOfHex(const std::string& hex, const std::string& what) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, FromHex(hex).WithContext(what));
  Digest d{};
  if (bytes.size() != d.size()) return MakeError(ErrorCode::kInput, what + " is not a sha256");
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

Error Mismatch(const std::string& what, const std::string& expected, const std::string& actual) {
  return MakeError(ErrorCode::kIntegrity, what + ": expected " + expected + ", got " + actual);
}

// Streams one channel file into a partition and checks what was served and what was written.
Status WritePayload(SystemState& s, const ChannelOptions& copts, const std::string& base_url, const ChannelFile& file,
                    const disk::Partition& part, bool zstd, std::uint64_t content_size,
                    const std::string& content_sha256, bool zero_tail, const verity::CheckedTree* tree = nullptr) {
  const std::string what = file.path;
  if (content_size > part.size)
    return MakeError(ErrorCode::kInput, what + " holds " + std::to_string(content_size) + " bytes, its partition " +
                                            std::to_string(part.size));
  KILN_ASSIGN_OR_RETURN(PartitionSink sink, PartitionSink::Create(s.disk.get(), part.offset, part.size, zstd, what));
  sink.CheckBlocksAgainst(tree);
  // A tree that covers the whole content checks every byte written (and so, through zstd,
  // what was served): the two digests would only repeat it.
  const bool tree_covers_all = tree && tree->data_blocks() * verity::kBlockSize == content_size;
  if (tree_covers_all) sink.SkipDigests();
  if (copts.report) copts.report("downloading " + what + " (" + std::to_string(file.size) + " bytes)");
  KILN_TRY(transfer::Download(ChannelFileUrl(base_url, file.path), 0, sink, DownloadOptionsFor(copts, file.size)));
  KILN_TRY(sink.Finish());
  if (sink.served_size() != file.size)
    return Mismatch(what + " size as served", std::to_string(file.size), std::to_string(sink.served_size()));
  if (!tree_covers_all)
    if (const std::string got = ToHex(sink.ServedDigest()); got != file.sha256)
      return Mismatch(what + " sha256 as served", file.sha256, got);
  if (sink.content_size() != content_size)
    return Mismatch(what + " size as written", std::to_string(content_size), std::to_string(sink.content_size()));
  if (!tree_covers_all)
    if (const std::string got = ToHex(sink.ContentDigest()); got != content_sha256)
      return Mismatch(what + " sha256 as written", content_sha256, got);
  // systemd reads the signature partition as JSON padded with NULs: an older, longer JSON
  // must not survive behind the new one. (Root and verity carry their own sizes.)
  if (zero_tail) KILN_TRY(ZeroRange(s.disk.get(), part.offset + content_size, part.size - content_size));
  return OkStatus();
}

Status ReadBack(SystemState& s, const std::string& what, const disk::Partition& part, std::uint64_t size,
                const std::string& sha256) {
  KILN_ASSIGN_OR_RETURN(Digest d, HashRange(s.disk.get(), part.offset, size));
  if (ToHex(d) != sha256) return Mismatch(what + " read back from the disk", sha256, ToHex(d));
  return OkStatus();
}

// The signature partition's JSON names the root hash it signs; it must be the index's.
Status CheckSignatureRootHash(const std::string& json_text, const std::string& root_hash) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError(ErrorCode::kIntegrity, "the signature partition content is not a JSON object");
  auto it = j.find("rootHash");
  if (it == j.end() || !it->is_string()) return MakeError(ErrorCode::kIntegrity, "the signature partition content has no rootHash");
  if (it->get<std::string>() != root_hash)
    return Mismatch("rootHash of the signature partition content", root_hash, EscapeForTerminal(it->get<std::string>().substr(0, 80)));
  return OkStatus();
}

Result<std::string> ReadRange(int fd, std::uint64_t offset, std::uint64_t size) {
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot read back the signature partition");
    done += static_cast<std::size_t>(n);
  }
  return out;
}

// The version names a boot entry and three GPT labels. Index versions may hold '+' (recipe
// versions do), which the loader and systemd-bless-boot read as a tries counter: "1.0+3"
// would be installed as NAME_1.0+3+2.efi and blessed into NAME_1.0+3.efi, an entry of
// version "1.0" with 3 tries. '_' splits a slot label ("app_2_0" reads as image "app_2").
// Such a version, or one too long for a label, is refused here, before a byte changes,
// rather than after the slot was written.
Status CheckNames(const SystemState& s, const ChannelVersion& v) {
  const std::string entry = EntryFileName(s.release.image, v.version, s.release.tries);
  const auto parsed = ParseEntryName(entry, s.release.image);
  if (!parsed || parsed->version != v.version)
    return MakeError(ErrorCode::kInput,
                     "version " + v.version +
                         " cannot name a boot entry and slot labels ('+' reads as a tries counter, '_' "
                         "splits a label); kiln-update does not install it");
  if (const std::string label = slots::SlotLabel(s.release.image, v.version, slots::SlotPart::kSignature);
      label.size() > slots::kMaxLabelLength)
    return MakeError(ErrorCode::kInput, "version " + v.version + " is too long for the slot's GPT labels ('" + label +
                                            "' has " + std::to_string(label.size()) + " characters, at most " +
                                            std::to_string(slots::kMaxLabelLength) + " fit)");
  return OkStatus();
}

// Checks before anything is changed: the version's files fit the slot's partitions.
Status CheckFits(const SystemState& s, const slots::SlotPartitions& parts, const ChannelVersion& v) {
  KILN_TRY(CheckNames(s, v));
  auto fits = [&](const std::string& what, std::uint64_t size, std::size_t index) -> Status {
    const std::uint64_t room = s.layout.partitions.at(index).size;
    if (size > room)
      return MakeError(ErrorCode::kInput, "version " + v.version + ": its " + what + " (" + std::to_string(size) +
                                              " bytes) does not fit the slot's partition of " + std::to_string(room) + " bytes");
    return OkStatus();
  };
  KILN_TRY(fits("root", v.root.content_size, parts.root));
  KILN_TRY(fits("verity hash tree", v.verity.size, parts.verity));
  KILN_TRY(fits("signature", v.signature.size, parts.signature));
  if (v.root.compression != channel::kCompressionZstd && v.root.compression != channel::kCompressionNone)
    return MakeError(ErrorCode::kInput, "version " + v.version + ": unknown root compression");
  return OkStatus();
}

// Steps 2 and 3: contents, checks, then labels and UUIDs.
Status WriteSlot(SystemState& s, const slots::SlotPartitions& parts, const ChannelVersion& v, const Digest& root_hash,
                 const std::string& base_url, const ChannelOptions& copts) {
  const disk::Partition root = s.layout.partitions.at(parts.root);
  const disk::Partition verity = s.layout.partitions.at(parts.verity);
  const disk::Partition signature = s.layout.partitions.at(parts.signature);
  const bool zstd = v.root.compression == channel::kCompressionZstd;
  // The small signed parts first: the verity tree, once written, read back and checked against
  // the signed root hash, judges every block of the root as it arrives, so a bad byte stops
  // the download there instead of after the whole root.
  KILN_TRY(WritePayload(s, copts, base_url, v.verity, verity, false, v.verity.size, v.verity.sha256, false));
  KILN_TRY(WritePayload(s, copts, base_url, v.signature, signature, false, v.signature.size, v.signature.sha256, true));
  if (::fsync(s.disk.get()) != 0)
    return MakeError(ErrorCode::kIo, "cannot sync " + s.disk_path.string() + ": " + std::strerror(errno));
  KILN_TRY(ReadBack(s, v.verity.path, verity, v.verity.size, v.verity.sha256));
  KILN_TRY(ReadBack(s, v.signature.path, signature, v.signature.size, v.signature.sha256));
  verity::CheckedTree tree;
  KILN_ASSIGN_OR_RETURN(
      verity::VerityCheck tree_check,
      verity::LoadCheckedTree(s.disk.get(), verity.offset, v.verity.size, v.root.content_size, root_hash, &tree));
  if (!tree_check.ok)
    return MakeError(ErrorCode::kIntegrity,
                     v.verity.path + " does not verify against root hash " + v.root_hash + ": " + tree_check.message);
  KILN_TRY(
      WritePayload(s, copts, base_url, v.root, root, zstd, v.root.content_size, v.root.content_sha256, false, &tree));
  if (::fsync(s.disk.get()) != 0)
    return MakeError(ErrorCode::kIo, "cannot sync " + s.disk_path.string() + ": " + std::strerror(errno));
  if (copts.report) copts.report("reading the slot back");
  // The root is read back by the verity check below: every data block against the tree, the
  // tree against the signed root hash. A separate digest pass over it would only repeat that
  // (and costs minutes on a slow machine).
  KILN_ASSIGN_OR_RETURN(std::string sig_json, ReadRange(s.disk.get(), signature.offset, v.signature.size));
  KILN_TRY(CheckSignatureRootHash(sig_json, v.root_hash));
  DropCachedPages(s.disk.get(), root.offset, v.root.content_size);
  KILN_ASSIGN_OR_RETURN(
      verity::VerityCheck check,
      verity::CheckData(tree, s.disk.get(), root.offset, std::max(1u, std::thread::hardware_concurrency())));
  if (!check.ok)
    return MakeError(ErrorCode::kIntegrity, "the written slot does not verify against root hash " + v.root_hash + ": " +
                                                check.message);
  slots::SetSlotVersion(s.layout, parts, s.release.image, v.version, root_hash);
  return WritePartitionTable(s);
}

// Step 4: the UKI under a temporary name, checked and synced, then renamed into place.
Status InstallEntry(const fs::path& esp, const std::string& entry, const ChannelVersion& v, const std::string& base_url,
                    const ChannelOptions& copts) {
  const fs::path dir = esp / kEntryDirectory;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  const fs::path tmp = dir / TemporaryEntryName(entry);
  UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "cannot create " + tmp.string() + ": " + std::strerror(errno));
  auto written = [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(PartitionSink sink, PartitionSink::Create(fd.get(), 0, v.uki.size, false, v.uki.path));
    if (copts.report) copts.report("downloading " + v.uki.path + " (" + std::to_string(v.uki.size) + " bytes)");
    KILN_TRY(transfer::Download(ChannelFileUrl(base_url, v.uki.path), 0, sink, DownloadOptionsFor(copts, v.uki.size)));
    if (sink.served_size() != v.uki.size)
      return Mismatch(v.uki.path + " size", std::to_string(v.uki.size), std::to_string(sink.served_size()));
    if (const std::string got = ToHex(sink.ServedDigest()); got != v.uki.sha256)
      return Mismatch(v.uki.path + " sha256", v.uki.sha256, got);
    if (::fsync(fd.get()) != 0) return MakeError(ErrorCode::kIo, "cannot sync " + tmp.string() + ": " + std::strerror(errno));
    KILN_ASSIGN_OR_RETURN(Digest back, HashRange(fd.get(), 0, v.uki.size));
    if (ToHex(back) != v.uki.sha256) return Mismatch(v.uki.path + " read back", v.uki.sha256, ToHex(back));
    if (::rename(tmp.c_str(), (dir / entry).c_str()) != 0)
      return MakeError(ErrorCode::kIo, "cannot rename " + tmp.string() + ": " + std::strerror(errno));
    return SyncDirectory(dir);
  }();
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

}  // namespace

Result<UpdateOutcome> Update(const AgentPaths& paths, const UpdateOptions& opts) {
  KILN_ASSIGN_OR_RETURN(SystemState s, LoadSystemState(paths, /*writable=*/true));
  KILN_ASSIGN_OR_RETURN(EspMount esp, EspMount::Locate(paths, s));
  const ChannelOptions& copts = opts.channel;
  const std::string base_url = copts.channel_url.empty() ? s.release.channel : copts.channel_url;
  KILN_ASSIGN_OR_RETURN(channel::ChannelIndex index, FetchIndex(s.release, paths.cert, copts));
  KILN_ASSIGN_OR_RETURN(const ChannelVersion* target, ChooseVersion(index, s.release.version, opts.allow_downgrade));
  const slots::SlotName slot = s.inactive();
  const slots::SlotPartitions parts = s.slots[slot];
  const std::string& image = s.release.image;
  UpdateOutcome out;
  out.slot = slots::SlotNameText(slot);
  if (!target) return out;
  out.version = target->version;
  KILN_ASSIGN_OR_RETURN(Digest root_hash, DigestOfHex(target->root_hash, "root_hash of version " + target->version));
  KILN_ASSIGN_OR_RETURN(auto entries, ListEntries(esp.path(), image));
  const slots::SlotContent held = slots::DescribeSlot(s.layout, parts, image);
  if (held.version == target->version && s.layout.partitions.at(parts.root).uuid == UuidFromFirstHalf(root_hash))
    if (auto e = FindEntry(entries, target->version)) {
      out.kind = UpdateOutcome::Kind::kAlreadyInstalled;
      out.entry = e->file_name;
      return out;
    }
  KILN_TRY(CheckFits(s, parts, *target));

  // Step 1: the inactive slot stops being bootable before any byte of it changes. Entries of
  // the running version are never touched, whatever the inactive slot's labels say.
  KILN_TRY(RemoveTemporaryEntries(esp.path()));
  // A slot whose labels disagree (written by another tool) still names a version in its root
  // label: that version's entries go too, or they would point at a root about to vanish.
  std::string labelled = held.version;
  if (const auto parts_of = slots::ParseSlotLabel(s.layout.partitions.at(parts.root).label); parts_of && parts_of->image == image)
    labelled = parts_of->version;
  for (const std::string& version : {held.version, labelled, target->version})
    if (!version.empty() && version != s.release.version) KILN_TRY(RemoveEntriesOf(esp.path(), image, version));
  slots::SetSlotEmpty(s.layout, parts);
  KILN_TRY(WritePartitionTable(s));
  if (copts.report) copts.report("slot " + out.slot + " is now empty; writing version " + target->version);

  KILN_TRY(WriteSlot(s, parts, *target, root_hash, base_url, copts));
  out.entry = EntryFileName(image, target->version, s.release.tries);
  Status installed = InstallEntry(esp.path(), out.entry, *target, base_url, copts);
  if (!installed.ok()) {
    // No entry: the slot goes back to "_empty" so nothing claims a version that cannot boot.
    slots::SetSlotEmpty(s.layout, parts);
    (void)WritePartitionTable(s);
    return std::move(installed).error();
  }
  out.kind = UpdateOutcome::Kind::kInstalled;
  return out;
}

}  // namespace kiln::update_agent
