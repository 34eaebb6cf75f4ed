// VM template formats made from a finished raw disk image: vhd (Azure), vhdx (Hyper-V),
// gce (Google Compute Engine), ova (vSphere/VirtualBox), vmdk and qcow2, plus the bmap block
// map for flashing. Each format has its own file; this is the one entry point the pipeline
// calls per format and the one `kiln verify` calls to check a format's content against the
// raw image. Every output is a function of the raw image and VmFormatInputs only.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"

namespace kiln::vmformats {

struct VmFormatInputs {
  std::string name;     // image name
  std::string version;  // image version
  std::int64_t source_date_epoch = 0;
  std::array<std::uint8_t, 16> seed{};  // the build seed: identifiers derive from it
  bool efi = false;                     // the image boots with UEFI ([boot] set)
  unsigned cpus = 2;                    // [vm] cpus
  std::uint64_t memory_mib = 2048;      // [vm] memory
  std::string vmdk_subformat = "monolithicSparse";  // [output] vmdk_subformat
  unsigned jobs = 1;                    // compression threads
};

// Formats WriteVmFormat knows, in the order the pipeline writes them.
const std::vector<std::string>& VmFormatNames();

// The artifact file name of format for NAME_VERSION: "NAME_VERSION.vhd", ".gce.tar.gz", ...
std::string VmFormatFileName(const std::string& format, const std::string& base);

// Writes format from raw into out (a staging path: written in place, not renamed).
Status WriteVmFormat(const std::string& format, const std::filesystem::path& raw,
                     const std::filesystem::path& out, const VmFormatInputs& inputs);

// The format an artifact file name belongs to ("" when it is not a VM format or a bmap).
std::string VmFormatOfFile(const std::string& file_name);

// Checks that artifact (format from its name) holds exactly the raw image's content (for a
// gce archive: the raw image's partitions and a valid GPT for its size; for a bmap: the map
// of raw). Streams; never keeps a full copy. The error says what differs and where.
Status CheckVmFormat(const std::filesystem::path& artifact, const std::filesystem::path& raw);

}  // namespace kiln::vmformats
