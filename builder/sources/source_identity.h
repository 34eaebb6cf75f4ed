// What each base input is, for the build manifest and for the seed from which UUIDs and
// salts derive: changing an input changes its record, and nothing else enters the seed from
// the sources stage. Produced by the tarball, debian and image sources; read by the
// manifest and the pipeline's seed derivation.
#pragma once

#include <string>
#include <vector>

namespace kiln::sources {

struct InputRecord {
  // "tarball", "image", "debian-lock", "deb" (one per installed package), "recipe-file", ...
  std::string kind;
  // URL as written, a local path, or an identity such as
  // "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64".
  std::string uri;
  std::string sha256;  // lowercase hex of the input's bytes
  bool operator==(const InputRecord&) const = default;
  auto operator<=>(const InputRecord&) const = default;
};

// Canonical bytes for the seed: one "kind\turi\tsha256\n" line per record, sorted, so the
// order in which sources were resolved does not matter.
std::string CanonicalInputs(std::vector<InputRecord> records);

// "pkg:deb/debian/NAME@VERSION?arch=ARCH" (purl; the version is percent-encoded where the purl
// spec requires it, e.g. ':' of an epoch becomes %3A).
std::string DebPurl(const std::string& name, const std::string& version, const std::string& arch,
                    const std::string& vendor = "debian");

}  // namespace kiln::sources
