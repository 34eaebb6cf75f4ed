// `kiln verify`: checks an artifact offline against a certificate. Works on a disk image (raw,
// or qcow2/vmdk converted with qemu-img), a build manifest, a split root squashfs with its
// .verity/.roothash/.roothash.p7s siblings, an OCI layout, or a build output directory (through
// every signed manifest it holds: several builds may share one directory). Integrity problems end up in
// the report (not as errors); an Error means the artifact could not be read at all. The report
// also says which parts no signature covers (docs/security.md#verification).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/verify/verify_report.h"
#include "signing/keys.h"

namespace kiln::verify {

struct VerifyOptions {
  std::filesystem::path artifact;
  signing::Certificate cert;
  unsigned jobs = 1;
  std::filesystem::path work_dir;  // for converting qcow2/vmdk to raw (default: $TMPDIR)
  bool allow_external_files = false;  // qcow2/vmdk naming backing/data files (--allow-backing-file)
  // The signed build manifest a disk image is compared with (ESP files, partition table);
  // empty: NAME.manifest.json beside NAME.raw/.qcow2/.vmdk when it exists.
  std::filesystem::path manifest;
};

Result<VerifyReport> Verify(const VerifyOptions& options);

// The individual verifiers, used by Verify according to what the artifact is.
Result<VerifyReport> VerifyDiskImage(const VerifyOptions& options);
Result<VerifyReport> VerifyManifest(const VerifyOptions& options);
Result<VerifyReport> VerifySplitRoot(const VerifyOptions& options);
Result<VerifyReport> VerifyOci(const VerifyOptions& options);

// A build manifest whose PKCS#7 signature verifies with cert; adds a "manifest signature"
// check. nullopt when it does not verify (the failure is in the report).
struct SignedManifest {
  manifest::BuildManifest manifest;
  std::string json;  // the signed bytes
  std::string p7s;
};
Result<std::optional<SignedManifest>> LoadSignedManifest(const std::filesystem::path& path,
                                                         const signing::Certificate& cert, VerifyReport& report);

// Checks dir_fd's SHA256SUMS (if any): at most manifest::kMaxSha256SumsSize, every line a
// relative path confined to the directory, and every line naming a file in `covered` (name ->
// sha256 hex of a file already checked against a signed manifest) with that digest. A line for
// anything else (an extra file, an absolute path, /dev/zero) fails the "SHA256SUMS" check.
// `others`: lines of other builds sharing the directory (name -> digest their signed manifests
// list, files not hashed here); such a line passes but is reported as not covered.
void CheckSha256Sums(int dir_fd, const std::map<std::string, std::string>& covered, VerifyReport& report,
                     const std::map<std::string, std::string>& others = {});

// Verifies a manifest's signature, artifacts and provenance, adding every file it checked to
// `covered` (name -> sha256 hex), without looking at SHA256SUMS. Directory verification joins
// the coverage of all manifests before checking the shared SHA256SUMS once.
Result<VerifyReport> VerifyManifestFiles(const VerifyOptions& options, std::map<std::string, std::string>& covered);

// Checks the DSSE provenance envelope the manifest lists (NAME_VERSION.intoto.json): its
// signature with cert and its subjects, which must be exactly the manifest's other artifacts.
// The envelope's bytes were already matched with the manifest's digest. Adds a "provenance" check.
void CheckProvenance(int dir_fd, const manifest::BuildManifest& m, const signing::Certificate& cert,
                     VerifyReport& report);

// Compares the files on the ESP at esp_offset of the image with the signed manifest's list,
// reading the FAT with mtools: each listed file's size and sha256, and no other file.
Status CheckEspFiles(int image_fd, std::uint64_t esp_offset, const std::vector<manifest::EspFileEntry>& expected,
                     const std::filesystem::path& work_dir, VerifyReport& report);

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

// Offset (from off) of the first non-zero byte in [off, off + size) of fd, if any; reads in
// bounded chunks.
Result<std::optional<std::uint64_t>> FirstNonZeroByte(int fd, std::uint64_t off, std::uint64_t size);

}  // namespace kiln::verify
