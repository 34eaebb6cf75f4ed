// Owner of one launched libguestfs appliance (guestfs_h*), used by the `type = "image"` base
// source to read existing disk images without root, loop devices or mounting on the host.
//
// Launch picks the accelerator by trying, not assuming: the default backend first (QEMU with
// KVM when /dev/kvm is usable); if that launch fails, or stalls (some hosts expose /dev/kvm but
// the guest kernel never boots under it), the appliance is killed and launched again with
// backend "direct" and setting "force_tcg" (software emulation, 30-60 s). The outcome is
// remembered for the rest of the process, so only the first launch pays for the detection.
// LIBGUESTFS_BACKEND / LIBGUESTFS_BACKEND_SETTINGS set by the user are obeyed as given.
#pragma once

#include <guestfs.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "builder/common/build_context.h"
#include "builder/common/result.h"

namespace kiln::sources {

struct GuestfsDrive {
  std::filesystem::path path;
  std::string format;     // "raw" or "qcow2": always explicit, never probed by QEMU
  bool readonly = true;   // inputs are never written
};

class GuestfsHandle {
 public:
  // Creates a handle, adds the drives in order (/dev/sda, /dev/sdb, ...) and launches the
  // appliance. Errors (kBuild) carry libguestfs' message and the tail of the appliance log.
  static Result<GuestfsHandle> Launch(const std::vector<GuestfsDrive>& drives,
                                      const BuildContext& ctx);

  GuestfsHandle(GuestfsHandle&&) noexcept;
  GuestfsHandle& operator=(GuestfsHandle&&) noexcept;
  ~GuestfsHandle();

  guestfs_h* get() const;
  // True when the appliance runs under software emulation (force_tcg).
  bool tcg() const { return tcg_; }

  // libguestfs' last error on this handle ("unknown libguestfs error" when none).
  std::string LastError() const;
  // MakeError(code, what + ": " + LastError()).
  Error Fail(ErrorCode code, const std::string& what) const;

  // Shuts the appliance down cleanly (guestfs_shutdown); the destructor also closes it.
  Status Shutdown();

  struct State;  // handle plus the log its event callback writes (address-stable)

 private:
  explicit GuestfsHandle(std::unique_ptr<State> state, bool tcg);
  std::unique_ptr<State> state_;
  bool tcg_ = false;
};

// A NULL-terminated char** returned by libguestfs (inspect_os, list_filesystems, ...), freed
// with every string; converted to a vector for use.
std::vector<std::string> TakeStringList(char** list);

}  // namespace kiln::sources
