// `base.type = "image"`: the root file system of an existing disk image (raw or qcow2, e.g. a
// vendor cloud image) becomes the base of kiln's file tree. The image is read with libguestfs
// (no root, no loop devices): its operating system is inspected, its file systems are mounted
// read-only where its fstab puts them, and the whole tree is streamed out as one tar (numeric
// owners, xattrs, hard links, device nodes kept) that tree::ImportTarball reads.
// Used by the pipeline after the download cache has produced a local, digest-checked file.
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/tree/content_store.h"
#include "builder/tree/file_tree.h"

namespace kiln::sources {

enum class DiskFormat { kRaw, kQcow2 };
const char* DiskFormatName(DiskFormat format);  // "raw", "qcow2"

// Reads the image header: qcow2 by its magic ("QFI\xfb"), anything else raw. A qcow2 with a
// backing file is refused (kInput): it would make QEMU read another host file.
Result<DiskFormat> DetectDiskFormat(const std::filesystem::path& image);

// Imports the root of the single operating system found in `image` into `tree` (nodes get
// `origin`), staging file bytes in `store`; scratch files go to ctx.work_dir. Errors name the
// image: kInput for "no operating system found in IMAGE", encrypted (LUKS/BitLocker) images,
// several operating systems or an unreadable file; kBuild when the appliance fails.
// Launches one libguestfs appliance (see GuestfsHandle for KVM/TCG selection).
Status ImportDiskImage(tree::FileTree& tree, const std::filesystem::path& image,
                       tree::ContentStore& store, const BuildContext& ctx,
                       const std::string& origin);

}  // namespace kiln::sources
