// The blobs/sha256 directory of an OCI layout: content-addressed writes (stream to a
// temporary name while hashing, rename to the digest when complete) and digest checks.
// Used by layout.cc and oci_archive.cc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/compressor.h"

namespace kiln::oci {

// An OCI content descriptor.
struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::uint64_t size = 0;
  bool operator==(const Descriptor&) const = default;
};

struct LayerBlob {
  Descriptor descriptor;            // the compressed blob
  std::string diff_id;              // "sha256:<hex>" of the uncompressed tar
  std::uint64_t uncompressed_size = 0;
  bool operator==(const LayerBlob&) const = default;
};

// layout_dir/blobs/sha256/<hex>; an error for a digest that is not "sha256:<64 hex>".
Result<std::filesystem::path> BlobPath(const std::filesystem::path& layout_dir,
                                       std::string_view digest);

// Stores content as a blob and returns its descriptor.
Result<Descriptor> WriteBlob(const std::filesystem::path& layout_dir, std::string_view media_type,
                             std::string_view content);

// Streams a layer: `produce` writes the uncompressed tar into the sink it is given; the
// bytes are hashed (diff_id), compressed, hashed again (digest) and stored.
Result<LayerBlob> WriteLayerBlob(const std::filesystem::path& layout_dir, LayerCompression compression,
                                 const CompressorOptions& opts,
                                 const std::function<Status(ByteSink&)>& produce);

// Re-hashes a stored blob; an kIntegrity error naming the blob if its size or digest differ.
Status CheckBlob(const std::filesystem::path& layout_dir, const Descriptor& d);

}  // namespace kiln::oci
