#include "builder/update_agent/channel_fetch.h"

#include "builder/channel/signed_index.h"
#include "builder/channel/version_compare.h"
#include "signing/keys.h"

namespace kiln::update_agent {

std::string ChannelFileUrl(const std::string& channel_url, const std::string& file) {
  std::string url = channel_url;
  if (url.empty() || url.back() != '/') url += '/';
  return url + file;
}

transfer::DownloadOptions DownloadOptionsFor(const ChannelOptions& options, std::uint64_t max_bytes) {
  transfer::DownloadOptions d;
  d.retry = options.retry;
  d.max_bytes = max_bytes;
  if (options.report) d.on_retry = [&options](const Error& why) { options.report("retrying: " + why.message); };
  return d;
}

Result<channel::ChannelIndex> FetchIndex(const ReleaseInfo& release, const std::filesystem::path& cert_path,
                                         const ChannelOptions& options) {
  const std::string base = options.channel_url.empty() ? release.channel : options.channel_url;
  if (base.empty()) return MakeError(ErrorCode::kUsage, "no channel: release.json names none and --channel is not given");
  KILN_ASSIGN_OR_RETURN(signing::Certificate cert, signing::LoadCertificate(cert_path.string()));
  const std::string url = ChannelFileUrl(base, std::string(channel::kIndexFileName));
  transfer::StringSink sink;
  KILN_TRY(transfer::Download(url, 0, sink, DownloadOptionsFor(options, channel::kMaxSignedIndexSize)));
  KILN_ASSIGN_OR_RETURN(channel::ChannelIndex index,
                        channel::VerifyIndex(sink.body, cert).WithContext("channel index " + url));
  if (index.image != release.image || index.architecture != release.architecture)
    return MakeError(ErrorCode::kInput, "channel index " + url + " is for " + index.image + " (" + index.architecture +
                                            "), this machine runs " + release.image + " (" + release.architecture + ")");
  return index;
}

Result<const channel::ChannelVersion*> ChooseVersion(const channel::ChannelIndex& index, const std::string& running,
                                                     bool allow_downgrade) {
  const channel::ChannelVersion* newest = index.Newest();
  if (!newest) return newest;
  const int order = channel::CompareVersions(newest->version, running);
  if (order > 0) return newest;
  if (order == 0) return static_cast<const channel::ChannelVersion*>(nullptr);
  if (allow_downgrade) return newest;
  return MakeError(ErrorCode::kInput, "the channel's newest version " + newest->version + " is older than the running " +
                                          running + "; --allow-downgrade installs it");
}

}  // namespace kiln::update_agent
