// `kiln publish OUT_DIR CHANNEL_DIR`: adds a signed build's update payload to a release
// channel directory and replaces the channel's signed index with one rename
// (docs/updates.md, "Publishing"). The library reports progress through on_event and never
// prints; the CLI renders the result.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "builder/channel/channel_index.h"
#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::publish {

inline constexpr std::size_t kDefaultKeep = 3;

struct PublishOptions {
  std::filesystem::path out_dir;      // a build's output directory (one build), or its manifest
  std::filesystem::path channel_dir;  // created when missing
  std::size_t keep = kDefaultKeep;    // versions kept in the index (1..channel::kMaxVersions)
  bool compress = true;               // zstd-compress the root payload
  bool allow_older = false;           // publish a version not newer than the channel's newest
  bool allow_other_signer = false;    // take over a channel whose index another certificate signed
  unsigned jobs = 1;                  // zstd worker threads and hashing
  std::function<void(const Event&)> on_event;  // may be empty
};

struct PublishResult {
  std::string image, version, architecture;
  channel::ChannelVersion published;     // the new entry
  channel::ChannelIndex index;           // the index now live
  std::vector<std::string> pruned;       // versions removed from the channel
  std::vector<std::string> removed_files;
  std::string previous_signer;           // fingerprint of the replaced index's signer ("" when new)
};

// kIntegrity: the build or the channel's index does not verify, or another certificate signed
// the channel (without allow_other_signer); kInput: not an updatable build, another image or
// architecture, a version not newer than the newest (without allow_older) or already present;
// kUsage: bad options; kIo: the channel directory failed us.
// key signs the new index; the build must be signed by cert (its certificate).
Result<PublishResult> Publish(const PublishOptions& options, const signing::PrivateKey& key,
                              const signing::Certificate& cert);

}  // namespace kiln::publish
