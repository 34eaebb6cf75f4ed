// `kiln verify`: checks an artifact offline against a certificate. Works on a disk image (raw,
// or qcow2/vmdk converted with qemu-img), a build manifest, a split root squashfs with its
// .verity/.roothash/.roothash.p7s siblings, an OCI layout, or a build output directory (through
// its one signed manifest). Integrity problems end up in
// the report (not as errors); an Error means the artifact could not be read at all.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/verify/verify_report.h"
#include "signing/keys.h"

namespace kiln::verify {

struct VerifyOptions {
  std::filesystem::path artifact;
  signing::Certificate cert;
  unsigned jobs = 1;
  std::filesystem::path work_dir;  // for converting qcow2/vmdk to raw (default: $TMPDIR)
};

Result<VerifyReport> Verify(const VerifyOptions& options);

// The individual verifiers, used by Verify according to what the artifact is.
Result<VerifyReport> VerifyDiskImage(const VerifyOptions& options);
Result<VerifyReport> VerifyManifest(const VerifyOptions& options);
Result<VerifyReport> VerifySplitRoot(const VerifyOptions& options);
Result<VerifyReport> VerifyOci(const VerifyOptions& options);

// For a manifest's artifacts in dir: every VM format (qcow2, vmdk, vhd, vhdx, gce, ova) and the
// block map must hold exactly the content of the raw image beside them (verify_vm_formats.cc).
void CheckVmFormats(const std::filesystem::path& dir, const std::vector<std::string>& artifact_names,
                    VerifyReport& report);

// Checks a verity data/hash pair and its signature; shared by the disk and split verifiers.
// data/hash are (fd, offset, size); sig_bytes the verity-sig JSON (empty: signature from p7s).
struct VerityInputs {
  int data_fd = -1;
  std::uint64_t data_off = 0, data_size = 0;
  int hash_fd = -1;
  std::uint64_t hash_off = 0, hash_size = 0;
  std::string data_name = "root", hash_name = "root-verity";
};
Status CheckVerityPair(const VerityInputs& in, const std::string& root_hash_hex, unsigned jobs,
                       VerifyReport& report);

}  // namespace kiln::verify
