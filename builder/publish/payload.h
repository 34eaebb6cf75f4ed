// Writing one update payload file into the channel: the build's file is read once, checked
// against the size and digest its signed manifest lists (so a file changed after the
// manifest was verified is refused), optionally zstd-compressed, hashed as written, fsynced
// under a temporary name and renamed into place.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "builder/channel/channel_index.h"
#include "builder/common/result.h"
#include "builder/publish/channel_dir.h"

namespace kiln::publish {

struct PayloadSource {
  int dir_fd = -1;     // the build's output directory
  std::string name;    // file name in it
  std::uint64_t size = 0;
  std::string sha256;  // hex, as the signed manifest lists it
};

struct PayloadOptions {
  bool compress = false;  // zstd (deterministic for any number of workers >= 1)
  unsigned jobs = 1;
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;  // may be empty
};

// The written file as the index describes it (content_* are the source's bytes).
Result<channel::RootFile> WritePayload(const ChannelDir& channel, const std::string& final_name,
                                       const PayloadSource& source, const PayloadOptions& options);

// A small payload made in memory (the verity-sig JSON).
Result<channel::ChannelFile> WritePayloadBytes(const ChannelDir& channel, const std::string& final_name,
                                               std::string_view data);

}  // namespace kiln::publish
