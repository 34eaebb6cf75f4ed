// `kiln-update check`: whether the channel holds a version newer than the running one (like
// systemd-sysupdate's check-new). Needs only release.json, the certificate and the network.
#pragma once

#include <string>

#include "builder/common/result.h"
#include "builder/update_agent/channel_fetch.h"
#include "builder/update_agent/system_state.h"

namespace kiln::update_agent {

struct CheckOutcome {
  bool newer = false;
  std::string running;
  std::string newest;  // empty when the channel holds no version
};

Result<CheckOutcome> Check(const AgentPaths& paths, const ChannelOptions& options);

}  // namespace kiln::update_agent
