// Test-only: a valid two-version channel index, for the channel tests and the fuzz seed.
#pragma once

#include <string>

#include "builder/channel/channel_index.h"

namespace kiln::channel::testing {

inline std::string Hex(char c) { return std::string(64, c); }

inline ChannelVersion SampleVersion(const std::string& version, char digit) {
  ChannelVersion v;
  v.version = version;
  v.root_hash = Hex(digit);
  v.manifest_sha256 = Hex('e');
  v.slot_size = 64 * 1024 * 1024;
  const std::string base = "appliance_" + version;
  v.root = {{base + ".root.squashfs.zst", 1000, Hex('a')}, std::string(kCompressionZstd), 4096, Hex('b')};
  v.verity = {base + ".root.verity", 8192, Hex('c')};
  v.signature = {base + ".roothash.p7s.json", 2000, Hex('d')};
  v.uki = {base + ".efi", 30000000, Hex('f')};
  return v;
}

inline ChannelIndex SampleIndex() {
  ChannelIndex index;
  index.image = "appliance";
  index.architecture = "x86-64";
  index.versions = {SampleVersion("1.0.9", '1'), SampleVersion("1.0.10", '2')};
  return index;
}

}  // namespace kiln::channel::testing
