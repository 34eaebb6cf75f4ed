// The build manifest, assembled in three steps: its header once the tree is resolved, the
// disk's record once the disk image is written, and finally the manifest file itself with its
// signature, giving this build's SHA256SUMS lines.
#pragma once

#include <cstdint>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/pipeline/disk_image.h"
#include "builder/pipeline/signer.h"
#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

// Image identity, inputs, seed, packages and the signer's certificate fingerprint.
Result<manifest::BuildManifest> StartManifest(const recipe::Recipe& recipe, const BuildIdentity& id,
                                              std::int64_t source_date_epoch,
                                              std::vector<manifest::PackageEntry> packages, const Signer* signer);

// Root hash, disk GUID and size, the partitions, and the ESP's files (the firmware reads them
// outside dm-verity, so the manifest pins each one), sorted by path.
Status RecordDisk(manifest::BuildManifest& m, const DiskImageResult& disk);

// Writes NAME_VERSION.manifest.json and, when signed, its PKCS#7 signature; returns the
// SHA256SUMS lines of this build (every artifact, the manifest and its signature).
Result<SumsUpdate> WriteManifest(const manifest::BuildManifest& m, const Signer* signer, BuildOutputs& outputs);

}  // namespace kiln::pipeline
