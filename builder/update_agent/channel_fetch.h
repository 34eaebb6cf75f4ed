// Reading the release channel from inside the image: index.p7s downloaded (bounded), its
// signature checked against the certificate baked into the image, and the version to
// install chosen by systemd-boot's version order.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "builder/channel/channel_index.h"
#include "builder/common/result.h"
#include "builder/transfer/download.h"
#include "builder/update_agent/release_info.h"

namespace kiln::update_agent {

struct ChannelOptions {
  std::string channel_url;  // empty: release.json's channel
  transfer::RetryPolicy retry;
  std::function<void(const std::string&)> report;  // progress lines for the CLI
};

// channel_url with a trailing '/' and `file` appended (file names come from the verified index
// and are plain names).
std::string ChannelFileUrl(const std::string& channel_url, const std::string& file);

// Downloads index.p7s, verifies it with the certificate at cert_path and checks that it is a
// channel of the running image and architecture. kIntegrity for a bad signature, kInput for
// an index of another image.
Result<channel::ChannelIndex> FetchIndex(const ReleaseInfo& release, const std::filesystem::path& cert_path,
                                         const ChannelOptions& options);

// The version to install: the channel's newest when it is newer than `running`; an older
// newest only with allow_downgrade; nullptr when the channel holds nothing to install
// (empty, or its newest is the running version). kInput naming both versions when the newest
// is older and downgrades are not allowed.
Result<const channel::ChannelVersion*> ChooseVersion(const channel::ChannelIndex& index, const std::string& running,
                                                     bool allow_downgrade);

transfer::DownloadOptions DownloadOptionsFor(const ChannelOptions& options, std::uint64_t max_bytes);

}  // namespace kiln::update_agent
