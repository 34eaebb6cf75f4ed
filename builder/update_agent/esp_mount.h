// The ESP the agent installs boot entries into: --esp DIR when given (tests, recovery), else
// the boot disk's ESP where it is already mounted (/efi, /boot or /boot/efi, as systemd
// mounts it), else that partition mounted at a private directory under /run for as long as
// the owner lives.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/update_agent/system_state.h"

namespace kiln::update_agent {

// The device number of the file system mounted last at `where` according to mountinfo text
// (/proc/self/mountinfo), nullopt when nothing is mounted there.
std::optional<dev_t> MountedDevice(const std::string& mountinfo, const std::string& where);

class EspMount {
 public:
  static Result<EspMount> Locate(const AgentPaths& paths, const SystemState& state);
  EspMount(EspMount&& other) noexcept;
  EspMount& operator=(EspMount&& other) noexcept;
  EspMount(const EspMount&) = delete;
  EspMount& operator=(const EspMount&) = delete;
  ~EspMount();

  const std::filesystem::path& path() const { return path_; }

 private:
  EspMount() = default;
  void Release();
  std::filesystem::path path_;
  bool mounted_by_us_ = false;
};

}  // namespace kiln::update_agent
