// The kiln CLI's commands. Each is a thin layer: parse options (main.cc), call one library
// entry point, render its result or error, return the exit status (0 ok, 1 build or
// verification failure, 2 bad usage or bad recipe).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <functional>
#include <optional>
#include <vector>

#include "builder/common/build_context.h"
#include "builder/common/result.h"

namespace kiln::cli {

struct GlobalOptions {
  bool json = false;
  bool quiet = false;
  unsigned jobs = 0;  // 0: all cores
  std::filesystem::path cache_dir;
  std::string cache_max = "10G";  // --cache-max: prune the block/tree caches to this after a build
  bool offline = false;
};

struct BuildOptions {
  std::filesystem::path recipe;
  std::filesystem::path out_dir = "out";
  std::string key, cert;
  bool allow_unsigned = false;
  std::string sbom = "spdx";  // spdx | cyclonedx (SPDX is always written; cyclonedx adds .cdx.json)
  std::string cache_from, cache_to;  // registry build cache: HOST[:PORT]/REPO
  std::vector<std::string> cache_trust;  // --cache-trust CERT (repeatable): who may sign cache_from's entries
  bool cache_insecure = false;       // plain http / no TLS checks for a loopback cache registry
  std::filesystem::path archive;     // --archive DIR: store every input in an input archive
};
int RunBuild(const GlobalOptions& g, const BuildOptions& o);
int RunValidate(const GlobalOptions& g, const std::filesystem::path& recipe);

struct KeygenOptions {
  std::filesystem::path out_dir = ".";
  std::string subject = "kiln";
  std::string name = "kiln";
  std::string algorithm = "rsa";  // rsa | ec
  int days = 3650;
};
int RunKeygen(const GlobalOptions& g, const KeygenOptions& o);

// allow_backing_file: accept qcow2/vmdk images naming other host files (refused by default).
// manifest: the signed build manifest a disk image is compared with (default: beside it).
int RunVerify(const GlobalOptions& g, const std::filesystem::path& artifact, const std::string& cert,
              bool allow_backing_file, const std::filesystem::path& manifest = {});
// snapshot: --snapshot's value (nullopt: not given; "": now), see sources::LockSnapshot.
int RunLock(const GlobalOptions& g, const std::filesystem::path& recipe, const std::optional<std::string>& snapshot);
int RunInspect(const GlobalOptions& g, const std::filesystem::path& image, bool allow_backing_file);
// kiln diff A B: packages, files and partitions that differ (exit 0 whether or not they do).
struct RebuildOptions {
  std::filesystem::path manifest;
  std::filesystem::path recipe;   // default: the recorded recipe name, relative to the current directory
  std::filesystem::path out_dir;  // default: a temporary directory
  std::string key, cert;
  bool check = false;
  std::filesystem::path from;     // --from DIR: every input from this input archive, offline
};
int RunRebuild(const GlobalOptions& g, const RebuildOptions& o);

int RunDiff(const GlobalOptions& g, const std::filesystem::path& a, const std::filesystem::path& b);

// kiln push OCI_DIR REF [--sign --key K] [--insecure], kiln pull REF OCI_DIR, and
// kiln verify --registry REF --key PUB (cmd_push.cc).
struct PushCommandOptions {
  std::filesystem::path oci_dir;
  std::string ref;
  bool sign = false;
  std::string key;
  bool insecure = false;
  bool archive = false;  // --archive: oci_dir is an input archive (kiln build --archive)
};
int RunPush(const GlobalOptions& g, const PushCommandOptions& o);
int RunPull(const GlobalOptions& g, const std::string& ref, const std::filesystem::path& oci_dir, bool insecure,
            bool force = false);
int RunVerifyRegistry(const GlobalOptions& g, const std::string& ref, const std::string& key, bool insecure);

// kiln boot IMAGE [--check] (cmd_boot.cc): QEMU + OVMF, serial console on stdout.
struct BootCommandOptions {
  std::filesystem::path image;
  bool check = false;
  unsigned timeout = 0;  // seconds; 0: 600 with --check, none without
  unsigned grace = 90;   // seconds between the ACPI power button and stopping QEMU
  bool snapshot = false;
  unsigned memory_mib = 1024;
  unsigned cpus = 2;
  std::string accel = "auto";  // auto | kvm | tcg
  std::string arch = "x86_64";
  std::vector<std::string> qemu_args, expect, fail_on, allow;
  std::filesystem::path serial_log;
  bool follow_reboots = false;
  std::vector<std::string> reset_on;
  std::filesystem::path serve_dir;
};
int RunBoot(const GlobalOptions& g, const BootCommandOptions& o);
// kiln serve-connection DIR [--log FILE] (cmd_boot.cc): answers one HTTP request on stdin with
// stdout; writes nothing to stderr (QEMU gives it the guest's connection there too).
int RunServeConnection(const std::filesystem::path& dir, const std::filesystem::path& log);

// kiln cache info | prune [--max SIZE] (cmd_cache.cc).
struct CacheCommandOptions {
  std::string action;  // info | prune
  std::string max;     // prune: target size (default: --cache-max)
};
int RunCache(const GlobalOptions& g, const CacheCommandOptions& o);

// kiln flash IMAGE TARGET [--yes] [--bmap F] (cmd_flash.cc): writes a raw image through its
// block map, reads it back, and moves the backup GPT to the end of a larger target.
struct FlashCommandOptions {
  std::filesystem::path image;  // a raw image file, else a registry reference (cmd_flash.cc)
  std::filesystem::path target;
  std::filesystem::path bmap;
  bool yes = false;
  bool insecure = false;  // a reference on a loopback registry: plain http, no TLS checks
};
int RunFlash(const GlobalOptions& g, const FlashCommandOptions& o);

// kiln publish OUT_DIR CHANNEL_DIR (cmd_publish.cc): adds a build's update payload to a
// release channel and replaces its signed index (docs/updates.md).
struct PublishCommandOptions {
  std::filesystem::path out_dir, channel_dir;
  std::string key, cert;
  std::size_t keep = 3;
  bool no_compress = false;
  bool allow_older = false;
  bool allow_other_signer = false;
};
int RunPublish(const GlobalOptions& g, const PublishCommandOptions& o);

// Prints an error ("kiln: error: ...") or its JSON and returns its exit status.
int ReportError(const GlobalOptions& g, const Error& e);
unsigned EffectiveJobs(const GlobalOptions& g);
// jobs, cache directory and offline mode from the global options; events go to `on_event`.
BuildContext ContextFromOptions(const GlobalOptions& g, std::function<void(const Event&)> on_event);
// Checks ctx.cache_dir before a command uses it: without HOME or XDG_CACHE_HOME and --cache,
// a kUsage error (no shared /tmp fallback). A directory that cannot be made private to this
// user (another user's, a symbolic link) is refused when --cache named it; the default one
// is skipped with a warning event (ctx.cache_dir cleared: the command runs without caches).
Status UsePrivateCacheDir(const GlobalOptions& g, BuildContext& ctx);

}  // namespace kiln::cli
