#include "builder/sources/debian_source.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/common/input_hooks.h"
#include "builder/sources/base_tree_cache.h"
#include "builder/sources/debian_archived_inputs.h"
#include "builder/sources/mmdebstrap_progress.h"
#include "builder/sources/snapshot_source.h"
#include "builder/tree/tarball_tree_cache.h"
#include "builder/tree/tarball_reader.h"

namespace kiln::sources {

namespace fs = std::filesystem;

namespace {

// Files inside the chroot that the hooks use; gone before the tarball is written.
constexpr const char* kDebListInside = "/tmp/kiln-debs.txt";
constexpr const char* kPinsInside = "/etc/apt/preferences.d/kiln-lock";

// Lists every downloaded .deb with its identity and digest. --skip=essential/unlink keeps the
// essential phase's debs next to the install phase's, so this sees the whole package set.
constexpr const char* kDigestHook =
    "for f in \"$1\"/var/cache/apt/archives/*.deb; do [ -e \"$f\" ] || continue; "
    "dpkg-deb --show --showformat='${Package}\\t${Version}\\t${Architecture}\\t' \"$f\" && "
    "sha256sum < \"$f\" | cut -d' ' -f1 || exit 1; done > \"$1\"/tmp/kiln-debs.txt";

// Drops what kiln used plus host-specific files mmdebstrap copies in (its own
// SOURCE_DATE_EPOCH cleanup handles logs, ldconfig aux-cache, machine-id and apt caches).
constexpr const char* kCleanupHook =
    "rm -f \"$1\"/tmp/kiln-debs.txt \"$1\"/var/cache/apt/archives/*.deb "
    "\"$1\"/etc/apt/preferences.d/kiln-lock \"$1\"/etc/hostname \"$1\"/etc/resolv.conf";

// For bootable images ([boot] loader != "none"): how the kernel package's postinst runs dracut,
// so the image's own initrd can open the dm-verity root with systemd-veritysetup. Generic (not
// host-only: the build host is not the target) and reproducible (sorted, clamped to
// SOURCE_DATE_EPOCH). Its bytes are part of the base-tree cache key.
constexpr const char* kDracutConf =
    "# Written by kiln: an initrd that sets up the dm-verity root named on the kernel command line.\n"
    "hostonly=\"no\"\n"
    "reproducible=\"yes\"\n"
    "add_dracutmodules+=\" systemd-veritysetup \"\n"
    "add_drivers+=\" dm-verity squashfs ext4 vfat virtio_blk virtio_pci virtio_scsi sd_mod ahci nvme \"\n";

bool FileHasEntryFor(const char* file, const std::string& user, uid_t uid) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string who = line.substr(0, colon);
    if (who == user || who == std::to_string(uid)) return true;
  }
  return false;
}

bool UserNamespacesAllowed() {
  std::ifstream clone("/proc/sys/kernel/unprivileged_userns_clone");
  int v = 1;
  if (clone && (clone >> v) && v == 0) return false;
  std::ifstream max("/proc/sys/user/max_user_namespaces");
  long m = 1;
  if (max && (max >> m) && m == 0) return false;
  return true;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  while (lines > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    --lines;
  }
  return text.substr(pos + 1);
}

// Where the packages come from: mmdebstrap's mirror argument (the recipe's mirror, or a
// snapshot source line) and the URL it names, for messages and the offline check.
struct AptSource {
  std::string argument;
  std::string url;
};

Result<AptSource> SourceFor(const DebianBaseSpec& base, const std::string& snapshot) {
  if (snapshot.empty()) return AptSource{base.mirror, base.mirror};
  KILN_ASSIGN_OR_RETURN(std::string mirror_base, EffectiveSnapshotMirror(base, std::getenv(kSnapshotMirrorEnv)));
  KILN_ASSIGN_OR_RETURN(std::string line, AptSourceFor(base, snapshot, mirror_base));
  KILN_ASSIGN_OR_RETURN(std::string archive, SnapshotArchiveName(base.mirror));
  return AptSource{line, SnapshotArchiveUrl(mirror_base, archive, snapshot)};
}

// The manifest's identity of the package source: the snapshot is an input only when used, so
// records of builds without one keep their bytes (the snapshot mirror's own URL never enters).
std::string SourceIdentity(const DebianBaseSpec& base, const std::string& arch, const std::string& snapshot) {
  std::string id = base.mirror + " " + base.suite + " " + base.variant + " " + arch;
  return snapshot.empty() ? id : id + " snapshot " + snapshot;
}

struct MmdebstrapRun {
  MmdebstrapMode mode = MmdebstrapMode::kFakechroot;
  AptSource source;
  fs::path target;        // "out.tar" or /dev/null
  fs::path deb_list;      // where the digest hook's list is copied out
  fs::path pins;          // apt preferences to upload (empty: none)
  std::vector<std::string> include;
  // Input archives (debian_archived_inputs.h): sync the downloaded .debs and apt's indices out
  // into this directory, or in from it (then without `apt-get update`). Empty: neither.
  fs::path export_dir, import_dir;
};

// A run's scratch directory (below the work directory) and the run, its package list in it.
struct PreparedRun {
  TempDir scratch;
  MmdebstrapRun run;
};

Result<PreparedRun> PrepareMmdebstrapRun(const AptSource& source, const BuildContext& ctx, const char* scratch_name) {
  KILN_ASSIGN_OR_RETURN(MmdebstrapMode mode, PickMmdebstrapMode());
  std::error_code ec;
  fs::create_directories(ctx.work_dir, ec);
  KILN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(ctx.work_dir, scratch_name));
  MmdebstrapRun run;
  run.mode = mode;
  run.source = source;
  run.deb_list = scratch.path() / "debs.txt";
  return PreparedRun{std::move(scratch), std::move(run)};
}

Status RunMmdebstrap(const DebianBaseSpec& base, const BuildContext& ctx, const MmdebstrapRun& run) {
  for (const fs::path& p : {run.deb_list, run.pins, run.export_dir, run.import_dir})
    if (p.string().find_first_of(" \t\n") != std::string::npos)
      return MakeError(ErrorCode::kBuild, "the work directory path must not contain spaces: " + p.string());
  ProcessSpec spec;
  spec.argv = {"mmdebstrap",
               std::string("--mode=") + MmdebstrapModeName(run.mode),
               "--variant=" + base.variant,
               "--architectures=" + DebianArchitecture(base.architecture),
               "--components=" + Join(base.components, ","),
               run.target == "/dev/null" ? "--format=null" : "--format=tar",
               "--skip=essential/unlink",
               "--verbose"};  // apt and dpkg lines instead of a progress bar: MmdebstrapProgress reads them
  if (!run.include.empty()) spec.argv.push_back("--include=" + Join(run.include, ","));
  for (const auto& o : base.apt.options) spec.argv.push_back("--aptopt=" + o);
  for (const auto& k : base.apt.keyrings) spec.argv.push_back("--keyring=" + k);
  if (!run.pins.empty())
    spec.argv.push_back("--setup-hook=upload " + run.pins.string() + " " + kPinsInside);
  if (!run.import_dir.empty()) {
    spec.argv.push_back("--skip=update");
    spec.argv.push_back("--setup-hook=mkdir -p \"$1/var/lib/apt/lists\" \"$1/var/cache/apt/archives\"");
    spec.argv.push_back("--setup-hook=sync-in " + (run.import_dir / kArchivedListsDir).string() + " /var/lib/apt/lists");
    spec.argv.push_back("--setup-hook=sync-in " + (run.import_dir / kArchivedDebsDir).string() + " /var/cache/apt/archives");
  }
  if (base.boot_initrd) {
    const fs::path conf = run.deb_list.parent_path() / "dracut-kiln.conf";
    KILN_TRY(WriteFile(conf, kDracutConf));
    spec.argv.push_back("--setup-hook=mkdir -p \"$1/etc/dracut.conf.d\"");
    spec.argv.push_back("--setup-hook=upload " + conf.string() + " /etc/dracut.conf.d/50-kiln-verity.conf");
  }
  // mmdebstrap runs no customize hooks for the extract variant (no dpkg, no essential set);
  // its extract hooks see the same downloaded .debs.
  const std::string hook = base.variant == "extract" ? "--extract-hook=" : "--customize-hook=";
  spec.argv.push_back(hook + kDigestHook);
  spec.argv.push_back(hook + "download " + kDebListInside + " " + run.deb_list.string());
  if (!run.export_dir.empty()) {
    spec.argv.push_back(hook + "sync-out /var/cache/apt/archives " + (run.export_dir / kArchivedDebsDir).string());
    spec.argv.push_back(hook + "sync-out /var/lib/apt/lists " + (run.export_dir / kArchivedListsDir).string());
  }
  spec.argv.push_back(hook + kCleanupHook);
  spec.argv.push_back("--");
  spec.argv.push_back(base.suite);
  spec.argv.push_back(run.target.string());
  spec.argv.push_back(run.source.argument);
  spec.env["SOURCE_DATE_EPOCH"] = std::to_string(ctx.source_date_epoch);
  spec.env["LC_ALL"] = "C.UTF-8";
  spec.unset_env = {"LANG", "LANGUAGE", "TZ"};
  spec.capture_stdout = true;
  MmdebstrapProgress progress;
  spec.on_stderr_line = [&](std::string_view line) {
    if (auto e = progress.Feed(line); e && ctx.on_event) ctx.on_event(*e);
  };

  ctx.Report("sources", "running mmdebstrap (" + std::string(MmdebstrapModeName(run.mode)) +
                            " mode) for " + base.suite + " " + base.variant);
  KILN_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(spec));
  if (r.exit_code != 0) {
    std::string why = ExplainAptFailure(r.err, run.source.url);
    if (!why.empty()) return MakeError(ErrorCode::kInput, why);
    return MakeError(ErrorCode::kBuild, "mmdebstrap failed with exit status " +
                                            std::to_string(r.exit_code) + " for suite " + base.suite +
                                            " from " + run.source.url + ":\n" + Tail(r.err, 20));
  }
  return OkStatus();
}

// The lock file's bytes, plus the dracut configuration when the base is made bootable.
std::string CacheKeyInput(const DebianBaseSpec& spec, const std::string& lock_bytes) {
  return spec.boot_initrd ? lock_bytes + "\n" + kDracutConf : lock_bytes;
}

std::string PinsFor(const LockFile& lock) {
  std::string s;
  for (const auto& p : lock.packages)
    s += "Package: " + p.name + "\nPin: version " + p.version + "\nPin-Priority: 1001\n\n";
  return s;
}

std::vector<InputRecord> RecordsFor(const std::vector<LockedPackage>& debs) {
  std::vector<InputRecord> out;
  for (const auto& d : debs) out.push_back({"deb", DebPurl(d.name, d.version, d.architecture), d.sha256});
  return out;
}

Status CheckOffline(const DebianBaseSpec& base, const AptSource& source, const BuildContext& ctx) {
  const bool supplied = ctx.inputs && ctx.inputs->Supplying();  // from an input archive, not the mirror
  if (ctx.offline && !supplied && !source.url.starts_with("file:"))
    return MakeError(ErrorCode::kNetwork, "the debian base (" + base.suite + " from " + source.url +
                                              ") is not in the cache and --offline forbids downloading it");
  return OkStatus();
}

}  // namespace

const char* MmdebstrapModeName(MmdebstrapMode mode) {
  switch (mode) {
    case MmdebstrapMode::kRoot: return "root";
    case MmdebstrapMode::kUnshare: return "unshare";
    case MmdebstrapMode::kFakechroot: return "fakechroot";
  }
  return "?";
}

Result<MmdebstrapMode> PickMmdebstrapMode() {
  if (const char* forced = std::getenv("KILN_MMDEBSTRAP_MODE"); forced && *forced) {
    std::string f = forced;
    if (f == "root") return MmdebstrapMode::kRoot;
    if (f == "unshare") return MmdebstrapMode::kUnshare;
    if (f == "fakechroot") return MmdebstrapMode::kFakechroot;
    return MakeError(ErrorCode::kUsage, "KILN_MMDEBSTRAP_MODE='" + f + "' (allowed: root, unshare, fakechroot)");
  }
  if (FindProgram("mmdebstrap").empty())
    return MakeError(ErrorCode::kBuild, "mmdebstrap is not installed (run ci/setup)");
  if (::geteuid() == 0) return MmdebstrapMode::kRoot;
  const uid_t uid = ::getuid();
  std::string user;
  if (const passwd* pw = ::getpwuid(uid)) user = pw->pw_name;
  if (FileHasEntryFor("/etc/subuid", user, uid) && FileHasEntryFor("/etc/subgid", user, uid) &&
      !FindProgram("newuidmap").empty() && !FindProgram("newgidmap").empty() && UserNamespacesAllowed())
    return MmdebstrapMode::kUnshare;
  if (!FindProgram("fakechroot").empty() && !FindProgram("fakeroot").empty())
    return MmdebstrapMode::kFakechroot;
  return MakeError(ErrorCode::kBuild,
                   "cannot run mmdebstrap without root: give user " + (user.empty() ? std::to_string(uid) : user) +
                       " ranges in /etc/subuid and /etc/subgid (unshare mode, needs uidmap) or install "
                       "fakechroot and fakeroot (fakechroot mode)");
}

Result<std::vector<LockedPackage>> ParseDebDigestList(std::string_view text) {
  std::vector<LockedPackage> out;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
      std::size_t tab = line.find('\t', start);
      f.emplace_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (f.size() != 4 || f[0].empty() || f[1].empty() || f[2].empty() || !IsSha256Hex(f[3]))
      return MakeError(ErrorCode::kBuild, "package digest list line " + std::to_string(line_no) +
                                              ": expected 'name\\tversion\\tarch\\tsha256', got '" +
                                              std::string(line) + "'");
    out.push_back({f[0], f[1], f[2], f[3]});
  }
  std::sort(out.begin(), out.end(), [](const LockedPackage& a, const LockedPackage& b) {
    return std::tie(a.name, a.architecture, a.version) < std::tie(b.name, b.architecture, b.version);
  });
  return out;
}

Status CheckDownloadsAgainstLock(const LockFile& lock, const std::vector<LockedPackage>& downloaded,
                                 const std::string& lock_name) {
  std::map<std::pair<std::string, std::string>, const LockedPackage*> locked;
  for (const auto& p : lock.packages) locked[{p.name, p.architecture}] = &p;
  std::map<std::pair<std::string, std::string>, const LockedPackage*> got;
  for (const auto& d : downloaded) {
    auto it = locked.find({d.name, d.architecture});
    if (it == locked.end())
      return MakeError(ErrorCode::kInput, "package " + d.name + " " + d.version + " (" + d.architecture +
                                              ") was installed but is not in " + lock_name +
                                              " (re-run `kiln lock`)");
    const LockedPackage& l = *it->second;
    if (d.version != l.version)
      return MakeError(ErrorCode::kInput, "package " + d.name + ": " + lock_name + " pins version " +
                                              l.version + " but the mirror gave " + d.version +
                                              " (the locked version is no longer available; re-run "
                                              "`kiln lock` or use a snapshot mirror)");
    if (d.sha256 != l.sha256)
      return MakeError(ErrorCode::kIntegrity, "package " + d.name + " " + d.version + ": sha256 of the .deb is " +
                                                  d.sha256 + " but " + lock_name + " expects " + l.sha256);
    got[{d.name, d.architecture}] = &d;
  }
  for (const auto& p : lock.packages)
    if (!got.contains({p.name, p.architecture}))
      return MakeError(ErrorCode::kInput, "package " + p.name + " " + p.version + " from " + lock_name +
                                              " was not installed (no longer required or available?)");
  return OkStatus();
}

std::string ExplainAptFailure(std::string_view err, const std::string& mirror) {
  constexpr std::string_view kVersion = "Version '";
  constexpr std::string_view kFor = "' for '";
  constexpr std::string_view kNotFound = "' was not found";
  if (auto v = err.find(kVersion); v != std::string_view::npos) {
    auto f = err.find(kFor, v);
    auto n = f == std::string_view::npos ? f : err.find(kNotFound, f);
    if (n != std::string_view::npos) {
      std::string version(err.substr(v + kVersion.size(), f - v - kVersion.size()));
      std::string pkg(err.substr(f + kFor.size(), n - f - kFor.size()));
      return "locked package " + pkg + " version " + version + " is no longer available from " + mirror +
             " (re-run `kiln lock`, or pin a snapshot: `kiln lock --snapshot`)";
    }
  }
  constexpr std::string_view kLocate = "Unable to locate package ";
  if (auto u = err.find(kLocate); u != std::string_view::npos) {
    auto end = err.find_first_of("\r\n", u);
    std::string pkg(err.substr(u + kLocate.size(), end == std::string_view::npos ? end : end - u - kLocate.size()));
    return "package " + pkg + " is not available from " + mirror;
  }
  return "";
}

std::string DebianBaseTreeKey(const DebianBaseSpec& spec, std::string_view lock_bytes) {
  return DebianBaseCacheKey(CacheKeyInput(spec, std::string(lock_bytes)), spec,
                            DebianArchitecture(spec.architecture));
}

Result<DebianBase> ResolveDebianBase(const DebianBaseSpec& spec, const BuildContext& ctx,
                                     const fs::path& lock_path) {
  const DebianBaseSpec& base = spec;
  const std::string arch = DebianArchitecture(spec.architecture);
  if (ctx.work_dir.empty()) return MakeError(ErrorCode::kUsage, "no work directory for the debian base");
  DebianBase out;
  std::string lock_bytes;
  LockFile lock;
  if (ctx.inputs && lock_path.empty())
    return MakeError(ErrorCode::kUsage, "an input archive needs a locked debian base: run `kiln lock` first");
  if (!lock_path.empty()) {
    KILN_ASSIGN_OR_RETURN(lock_bytes, ReadFile(lock_path));
    KILN_ASSIGN_OR_RETURN(lock, ParseLockFile(lock_bytes, lock_path.string()));
    KILN_TRY(CheckLockMatchesRecipe(lock, base, arch, lock_path.string()));
  }
  // The recipe's snapshot, else the lock's (CheckLockMatchesRecipe: they agree when both exist).
  const std::string snapshot = base.snapshot.empty() ? lock.snapshot : base.snapshot;
  KILN_ASSIGN_OR_RETURN(AptSource source, SourceFor(base, snapshot));
  if (!lock_path.empty()) {
    out.inputs.push_back({"debian-lock", SourceIdentity(base, arch, snapshot), ToHex(Sha256Of(lock_bytes))});
    if (ctx.inputs && !ctx.inputs->Supplying())
      KILN_TRY(ctx.inputs->CaptureFile("debian-lock", out.inputs.back().uri, lock_path, out.inputs.back().sha256));
    for (auto& r : RecordsFor(lock.packages)) out.inputs.push_back(std::move(r));
    const std::string key = DebianBaseTreeKey(spec, lock_bytes);
    // An input archive needs mmdebstrap to run: the cached tree has no .debs to capture, and a
    // rebuild from an archive proves the tree is made from it.
    std::optional<fs::path> cached;
    if (!ctx.inputs) {
      KILN_ASSIGN_OR_RETURN(cached, LookupBaseTree(ctx, key));
    }
    if (cached) {
      ctx.Report("sources", "debian base from the cache (" + key.substr(0, 12) + ")");
      out.tarball = *cached;
      out.from_cache = true;
      return out;
    }
  }
  KILN_TRY(CheckOffline(base, source, ctx));
  KILN_ASSIGN_OR_RETURN(PreparedRun prepared, PrepareMmdebstrapRun(source, ctx, "debian"));
  const TempDir& scratch = prepared.scratch;
  MmdebstrapRun& run = prepared.run;
  run.target = scratch.path() / "root.tar";
  std::error_code ec;
  if (!lock_path.empty()) {
    run.pins = scratch.path() / "pins";
    KILN_TRY(WriteFile(run.pins, PinsFor(lock)));
    std::map<std::string, std::string> version;
    for (const auto& p : lock.packages) version[p.name] = p.version;
    for (const auto& name : base.packages)
      run.include.push_back(version.contains(name) ? name + "=" + version[name] : name);
    if (ctx.inputs && ctx.inputs->Supplying()) {
      run.import_dir = scratch.path() / "archived";
      KILN_TRY(StageDebianInputs(lock, run.import_dir, ctx));
    } else if (ctx.inputs) {
      run.export_dir = scratch.path() / "archived";
      for (const char* sub : {kArchivedDebsDir, kArchivedListsDir}) fs::create_directories(run.export_dir / sub, ec);
    }
  } else {
    run.include = base.packages;
  }
  KILN_TRY(RunMmdebstrap(spec, ctx, run));
  KILN_ASSIGN_OR_RETURN(std::string list, ReadFile(run.deb_list));
  KILN_ASSIGN_OR_RETURN(std::vector<LockedPackage> debs, ParseDebDigestList(list));

  if (!lock_path.empty()) {
    KILN_TRY(CheckDownloadsAgainstLock(lock, debs, lock_path.string()));
    if (!run.export_dir.empty()) KILN_TRY(CaptureDebianInputs(lock, run.export_dir, ctx));
    if (!ctx.cache_dir.empty()) {
      KILN_ASSIGN_OR_RETURN(out.tarball,
                            StoreBaseTree(ctx, DebianBaseTreeKey(spec, lock_bytes), run.target));
      return out;
    }
  } else {
    // Unlocked: nothing pins the content, so nothing is cached; the manifest still records
    // exactly what was installed.
    out.inputs.push_back({"debian-suite", SourceIdentity(base, arch, snapshot), ""});
    for (auto& r : RecordsFor(debs)) out.inputs.push_back(std::move(r));
  }
  out.tarball = ctx.work_dir / "debian-base.tar";
  fs::rename(run.target, out.tarball, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot move the debian base tarball: " + ec.message());
  return out;
}

Result<std::vector<InputRecord>> ImportDebianBase(const DebianBaseSpec& spec, const BuildContext& ctx,
                                                  const fs::path& lock_path, tree::FileTree& tree,
                                                  tree::ContentStore& store) {
  KILN_ASSIGN_OR_RETURN(DebianBase base, ResolveDebianBase(spec, ctx, lock_path));
  ctx.Report("sources", "importing the debian base");
  // The tree cache (keyed by the tarball's digest) spares restaging the files on a rebuild.
  KILN_TRY(tree::ImportTarballCached(tree, base.tarball, "", store, ctx, "base").WithContext("debian base"));
  return base.inputs;
}

Status WriteLockFile(const DebianBaseSpec& spec, const BuildContext& ctx, const fs::path& lock_path) {
  const DebianBaseSpec& base = spec;
  // `kiln lock --snapshot` or [base] snapshot: resolve against the snapshot itself, so the lock
  // never names a version the snapshot lacks.
  KILN_ASSIGN_OR_RETURN(AptSource source, SourceFor(base, base.snapshot));
  KILN_TRY(CheckOffline(base, source, ctx));
  if (ctx.work_dir.empty()) return MakeError(ErrorCode::kUsage, "no work directory for kiln lock");
  KILN_ASSIGN_OR_RETURN(PreparedRun prepared, PrepareMmdebstrapRun(source, ctx, "lock"));
  MmdebstrapRun& run = prepared.run;
  run.target = "/dev/null";
  run.include = base.packages;
  KILN_TRY(RunMmdebstrap(spec, ctx, run));
  KILN_ASSIGN_OR_RETURN(std::string list, ReadFile(run.deb_list));
  LockFile lock;
  lock.suite = base.suite;
  lock.variant = base.variant;
  lock.mirror = base.mirror;
  lock.snapshot = base.snapshot;
  lock.architecture = DebianArchitecture(spec.architecture);
  lock.components = base.components;
  lock.requested = base.packages;
  std::sort(lock.requested.begin(), lock.requested.end());
  KILN_ASSIGN_OR_RETURN(lock.packages, ParseDebDigestList(list));
  if (lock.packages.empty())
    return MakeError(ErrorCode::kBuild, "mmdebstrap installed no packages: nothing to lock");
  for (std::size_t i = 1; i < lock.packages.size(); ++i)
    if (lock.packages[i].name == lock.packages[i - 1].name &&
        lock.packages[i].architecture == lock.packages[i - 1].architecture)
      return MakeError(ErrorCode::kBuild, "two versions of package " + lock.packages[i].name +
                                              " were downloaded; cannot lock");
  KILN_TRY(WriteFileAtomic(lock_path, FormatLockFile(lock)));
  ctx.Report("sources", "wrote " + lock_path.string() + " (" + std::to_string(lock.packages.size()) + " packages" +
                            (lock.snapshot.empty() ? "" : ", snapshot " + lock.snapshot) + ")");
  return OkStatus();
}

}  // namespace kiln::sources
