#include "builder/update_agent/check.h"

#include "builder/channel/version_compare.h"
#include "builder/common/files.h"

namespace kiln::update_agent {

Result<CheckOutcome> Check(const AgentPaths& paths, const ChannelOptions& options) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(paths.release));
  KILN_ASSIGN_OR_RETURN(ReleaseInfo release, ParseReleaseInfo(text).WithContext(paths.release.string()));
  KILN_ASSIGN_OR_RETURN(channel::ChannelIndex index, FetchIndex(release, paths.cert, options));
  CheckOutcome out;
  out.running = release.version;
  if (const channel::ChannelVersion* newest = index.Newest()) {
    out.newest = newest->version;
    out.newer = channel::CompareVersions(newest->version, release.version) > 0;
  }
  return out;
}

}  // namespace kiln::update_agent
