// kiln's entry point: command-line parsing only; every command lives in its own file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "builder/cli/commands.h"
#include "builder/cli/signal_cleanup.h"
#include "builder/cli/version_info.h"
#include "builder/common/debian_snapshot.h"
#include "builder/common/leftovers.h"
#include "builder/common/size.h"
#include "builder/common/text_escape.h"
#include "builder/pipeline/pipeline.h"

namespace {

int RunCli(int argc, char** argv) {
  using namespace kiln::cli;
  CLI::App app{"kiln: reproducible, signed, immutable OS images from a TOML recipe", "kiln"};
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: kiln build R -q
  GlobalOptions g;
  app.add_flag("--json", g.json, "Machine-readable output: JSON result on stdout, JSON-lines events on stderr");
  app.add_flag("-q,--quiet", g.quiet, "Only print errors and the result");
  app.add_option("-j,--jobs", g.jobs, "Worker threads (default: all cores)");
  app.add_option("--cache", g.cache_dir, "Cache directory (default: $XDG_CACHE_HOME/kiln)");
  app.add_flag("--offline", g.offline, "Fail instead of using the network");
  auto size_check = [](const std::string& v) {
    auto r = kiln::ParseSize(v);
    return r.ok() ? std::string() : r.error().message;
  };
  app.add_option("--cache-max", g.cache_max, "Prune the block and tree caches to SIZE after a build (default 10G; 0: never)")
      ->check(size_check);

  BuildOptions build;
  auto* cmd_build = app.add_subcommand("build", "Build the artifacts a recipe describes");
  cmd_build->add_option("recipe", build.recipe, "Recipe file (TOML)")->required();
  cmd_build->add_option("-o,--output", build.out_dir, "Output directory (default: ./out)");
  cmd_build->add_option("--key", build.key, "Signing key: PEM file or provider URI (overrides [signing].key)");
  cmd_build->add_option("--cert", build.cert, "Signing certificate (overrides [signing].certificate)");
  cmd_build->add_flag("--unsigned", build.allow_unsigned, "Build a disk image without signatures");
  cmd_build->add_option("--sbom", build.sbom, "Also write a CycloneDX 1.5 SBOM (cyclonedx); SPDX 2.3 is always written")
      ->check(CLI::IsMember({"spdx", "cyclonedx"}));
  cmd_build->add_option("--cache-from", build.cache_from,
                        "Reuse signed base trees and compressed blocks from this registry repository (HOST[:PORT]/REPO)");
  cmd_build->add_option("--cache-to", build.cache_to,
                        "Publish base trees and compressed blocks, signed with the build key, to this registry repository");
  cmd_build->add_option("--cache-trust", build.cache_trust,
                        "Certificate whose signatures make --cache-from entries usable (repeatable; the build's own counts)")
      ->allow_extra_args(false);
  cmd_build->add_flag("--cache-insecure", build.cache_insecure, "Plain http to a loopback cache registry; skip TLS checks");
  cmd_build->add_option("--archive", build.archive,
                        "Also store every input (recipe, overlays, files, lock, .debs, base files) in this new input archive");

  std::filesystem::path validate_recipe;
  auto* cmd_validate = app.add_subcommand("validate", "Check a recipe without building it");
  cmd_validate->add_option("recipe", validate_recipe, "Recipe file (TOML)")->required();

  KeygenOptions keygen;
  auto* cmd_keygen = app.add_subcommand("keygen", "Create a signing key and a self-signed certificate");
  cmd_keygen->add_option("--out", keygen.out_dir, "Directory for NAME.key (mode 0600) and NAME.crt");
  cmd_keygen->add_option("--subject", keygen.subject, "Certificate subject common name");
  cmd_keygen->add_option("--name", keygen.name, "File base name (default: kiln)");
  cmd_keygen->add_option("--algorithm", keygen.algorithm,
                         "rsa (RSA-3072, deterministic signatures: bit-identical images) or ec (P-256)")
      ->check(CLI::IsMember({"rsa", "ec"}));
  cmd_keygen->add_option("--days", keygen.days, "Certificate validity in days");

  std::filesystem::path verify_artifact;
  std::string verify_cert;
  auto* cmd_verify = app.add_subcommand("verify", "Verify a disk image, manifest, split root or OCI layout offline");
  std::string verify_registry, verify_key;
  bool verify_insecure = false, verify_allow_backing = false;
  cmd_verify->add_option("artifact", verify_artifact, "Artifact to verify");
  cmd_verify->add_option("--cert", verify_cert, "Certificate the artifact must be signed with");
  std::filesystem::path verify_manifest;
  cmd_verify->add_option("--manifest", verify_manifest,
                         "Signed build manifest a disk image is compared with (default: NAME.manifest.json beside it)");
  cmd_verify->add_option("--registry", verify_registry, "Verify the cosign signature of HOST[:PORT]/REPO[:TAG] instead");
  cmd_verify->add_option("--key", verify_key, "Public key (PEM) the --registry signature must verify with");
  cmd_verify->add_flag("--insecure", verify_insecure, "Allow plain http to a loopback registry; skip TLS checks");
  cmd_verify->add_flag("--allow-backing-file", verify_allow_backing,
                       "Accept a qcow2/vmdk that names a backing file or external data file (reads that host file)");

  PushCommandOptions push;
  auto* cmd_push = app.add_subcommand("push", "Push an OCI layout, or a disk image build as an OCI artifact, to a registry");
  cmd_push->add_option("oci_dir", push.oci_dir, "OCI image layout (OUT/NAME_VERSION.oci) or build output directory")->required();
  cmd_push->add_option("ref", push.ref, "HOST[:PORT]/REPO[:TAG] (default tag: the layout's ref.name)")->required();
  cmd_push->add_flag("--sign", push.sign, "Also push a cosign signature (tag sha256-<hex>.sig)");
  cmd_push->add_option("--key", push.key, "ECDSA P-256 signing key for --sign");
  cmd_push->add_flag("--insecure", push.insecure, "Allow plain http to a loopback registry; skip TLS checks");
  cmd_push->add_flag("--archive", push.archive, "The directory is an input archive (kiln build --archive); REF needs a tag");

  std::string pull_ref;
  std::filesystem::path pull_dir;
  bool pull_insecure = false;
  auto* cmd_pull = app.add_subcommand("pull", "Pull an image into an OCI layout, a kiln disk image's files or an input archive into a directory");
  cmd_pull->add_option("ref", pull_ref, "HOST[:PORT]/REPO:TAG or HOST[:PORT]/REPO@sha256:HEX")->required();
  cmd_pull->add_option("oci_dir", pull_dir, "Directory for the OCI layout or the disk image's files (new or empty)")->required();
  bool pull_force = false;
  cmd_pull->add_flag("--force", pull_force, "Replace an earlier pull in the directory (never files kiln did not pull)");
  cmd_pull->add_flag("--insecure", pull_insecure, "Allow plain http to a loopback registry; skip TLS checks");

  RebuildOptions rebuild;
  auto* cmd_rebuild = app.add_subcommand("rebuild", "Build again what a manifest records; --check compares every digest");
  cmd_rebuild->add_option("manifest", rebuild.manifest, "NAME_VERSION.manifest.json")->required();
  cmd_rebuild->add_option("--recipe", rebuild.recipe, "Recipe file (default: the recorded name in the current directory)");
  cmd_rebuild->add_option("-o,--output", rebuild.out_dir, "Output directory (default: a temporary one)");
  cmd_rebuild->add_option("--key", rebuild.key, "Signing key (without one, signatures are not compared)");
  cmd_rebuild->add_option("--cert", rebuild.cert, "Signing certificate");
  cmd_rebuild->add_flag("--check", rebuild.check, "Compare every artifact digest with the manifest");
  cmd_rebuild->add_option("--from", rebuild.from,
                          "Take every input from this input archive (kiln build --archive): offline, with an empty cache");

  std::filesystem::path lock_recipe;
  auto* cmd_lock = app.add_subcommand("lock", "Resolve a Debian base's packages into RECIPE.lock");
  cmd_lock->add_option("recipe", lock_recipe, "Recipe file (TOML)");
  std::string lock_snapshot;
  auto* lock_snapshot_opt = cmd_lock->add_option(
      "--snapshot", lock_snapshot,
      "Resolve against the Debian snapshot archive at TIMESTAMP (YYYYMMDDTHHMMSSZ; default: now, "
      "rounded down to the hour) and record it in the lock");
  lock_snapshot_opt->expected(0, 1);

  std::filesystem::path inspect_image;
  auto* cmd_inspect = app.add_subcommand("inspect", "Show the partitions, root hash and signer of a disk image");
  cmd_inspect->add_option("image", inspect_image, "Disk image (raw, qcow2 or vmdk)")->required();
  bool inspect_allow_backing = false;
  cmd_inspect->add_flag("--allow-backing-file", inspect_allow_backing,
                        "Accept a qcow2/vmdk that names a backing file or external data file (reads that host file)");

  std::filesystem::path diff_a, diff_b;
  auto* cmd_diff = app.add_subcommand("diff", "Show packages, files, partitions and container config that differ between two images");
  cmd_diff->add_option("a", diff_a, "Old image: raw disk image, split .root.squashfs, .oci layout or .oci.tar")->required();
  cmd_diff->add_option("b", diff_b, "New image: raw disk image, split .root.squashfs, .oci layout or .oci.tar")->required();

  BootCommandOptions boot;
  auto* cmd_boot = app.add_subcommand("boot", "Boot a disk image in QEMU (UEFI, serial console); --check: until its default target");
  cmd_boot->add_option("image", boot.image, "Disk image (raw or qcow2)")->required();
  cmd_boot->add_flag("--check", boot.check, "Succeed when the guest reaches its default target, then power it off");
  cmd_boot->add_option("--timeout", boot.timeout, "Seconds before --check gives up (default 600)");
  cmd_boot->add_option("--grace", boot.grace, "Seconds the guest gets to power off before QEMU is stopped (default 90)");
  cmd_boot->add_flag("--snapshot", boot.snapshot, "Do not modify the image (writes go to a temporary overlay)");
  cmd_boot->add_option("--memory", boot.memory_mib, "Guest memory in MiB (default 1024)");
  cmd_boot->add_option("--cpus", boot.cpus, "Guest CPUs (default 2)");
  cmd_boot->add_option("--accel", boot.accel, "kvm, tcg or auto (default; KILN_QEMU_ACCEL overrides)")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  cmd_boot->add_option("--qemu-arg", boot.qemu_args, "Extra QEMU argument (repeatable)")->allow_extra_args(false);
  cmd_boot->add_option("--serial-log", boot.serial_log, "Also write the raw console to FILE");
  cmd_boot->add_option("--expect", boot.expect, "Regex a console line must match before --check succeeds (repeatable)")
      ->allow_extra_args(false);
  cmd_boot->add_option("--fail-on", boot.fail_on, "Regex of a console line that fails --check (repeatable)")
      ->allow_extra_args(false);
  cmd_boot->add_option("--allow", boot.allow, "Do not fail on: emergency, panic, sysroot, verity or firmware (repeatable)")
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"emergency", "panic", "sysroot", "verity", "firmware"}));
  cmd_boot->add_flag("--follow-reboots", boot.follow_reboots,
                     "With --check: let the guest reboot; the --expect patterns must match in order, across boots");
  cmd_boot->add_option("--reset-on", boot.reset_on,
                       "Regex of a console line that resets the VM at once, like a power cut (repeatable; once each)")
      ->allow_extra_args(false);
  cmd_boot->add_option("--serve", boot.serve_dir,
                       "Serve DIR read-only to the guest at http://10.0.2.100/ (e.g. a release channel); the guest "
                       "can reach nothing else")
      ->check(CLI::ExistingDirectory);

  std::filesystem::path serve_dir, serve_log;
  // Internal: the process QEMU starts for each guest connection to `kiln boot --serve`.
  auto* cmd_serve = app.add_subcommand("serve-connection", "One HTTP request on stdin/stdout, for kiln boot --serve");
  cmd_serve->group("");
  cmd_serve->add_option("dir", serve_dir)->required();
  cmd_serve->add_option("--log", serve_log);

  FlashCommandOptions flash;
  auto* cmd_flash = app.add_subcommand("flash", "Write a raw image to a block device or file through its block map, then read it back");
  cmd_flash->add_option("image", flash.image,
                        "Raw disk image (NAME_VERSION.raw), or a disk image pushed by `kiln push` (REGISTRY/REPO:TAG)")
      ->required();
  cmd_flash->add_option("target", flash.target, "Block device (e.g. /dev/sdX) or file")->required();
  cmd_flash->add_option("--bmap", flash.bmap, "Block map (default: the image's NAME_VERSION.bmap, else computed)");
  cmd_flash->add_flag("-y,--yes", flash.yes, "Do not ask for confirmation");
  cmd_flash->add_flag("--insecure", flash.insecure, "Allow plain http to a loopback registry; skip TLS checks");

  PublishCommandOptions publish;
  auto* cmd_publish = app.add_subcommand("publish", "Add a signed build's update payload to a release channel directory");
  cmd_publish->add_option("out_dir", publish.out_dir, "The build's output directory, or OUT/NAME_VERSION.manifest.json")->required();
  cmd_publish->add_option("channel_dir", publish.channel_dir, "Channel directory (created when missing)")->required();
  cmd_publish->add_option("--key", publish.key, "The build's signing key: signs the channel index")->required();
  cmd_publish->add_option("--cert", publish.cert, "The build's certificate")->required();
  cmd_publish->add_option("--keep", publish.keep, "Versions kept in the channel (default 3); older ones are pruned")
      ->check(CLI::Range(1, 64));
  cmd_publish->add_flag("--no-compress", publish.no_compress, "Publish the root squashfs as it is (default: zstd)");
  cmd_publish->add_flag("--allow-older", publish.allow_older, "Publish a version that is not the newest");
  cmd_publish->add_flag("--allow-other-signer", publish.allow_other_signer,
                        "Re-sign a channel whose index another certificate signed");

  CacheCommandOptions cache_cmd;
  auto* cmd_cache = app.add_subcommand("cache", "Show or prune the block and tree caches");
  cmd_cache->require_subcommand(1);
  cmd_cache->add_subcommand("info", "Entries and size of the caches");
  auto* cmd_cache_prune = cmd_cache->add_subcommand("prune", "Remove least recently used entries down to --max (default: --cache-max)");
  cmd_cache_prune->add_option("--max", cache_cmd.max, "Target size (e.g. 2G; 0 empties the caches)")->check(size_check);

  app.add_subcommand("help", "Show this help");

  if (argc == 2 && std::string(argv[1]) == "help") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  InstallSignalCleanup();
  // Directories a killed kiln left in $TMPDIR (a live run's are locked and stay).
  kiln::SweepAbandonedTempDirs();
  if (cmd_build->parsed()) return RunBuild(g, build);
  if (cmd_validate->parsed()) return RunValidate(g, validate_recipe);
  if (cmd_keygen->parsed()) return RunKeygen(g, keygen);
  if (cmd_verify->parsed()) {
    if (!verify_registry.empty()) return RunVerifyRegistry(g, verify_registry, verify_key, verify_insecure);
    if (verify_artifact.empty() || verify_cert.empty()) {
      std::fprintf(stderr, "kiln verify: give ARTIFACT --cert CERT, or --registry REF --key PUB\n");
      return 2;
    }
    return RunVerify(g, verify_artifact, verify_cert, verify_allow_backing, verify_manifest);
  }
  if (cmd_push->parsed()) return RunPush(g, push);
  if (cmd_pull->parsed()) return RunPull(g, pull_ref, pull_dir, pull_insecure, pull_force);
  if (cmd_lock->parsed()) {
    std::optional<std::string> snapshot;
    if (lock_snapshot_opt->count() > 0) snapshot = lock_snapshot;
    // `kiln lock --snapshot app.toml`: the option's optional value swallowed the recipe.
    if (lock_recipe.empty() && snapshot && !snapshot->empty() && *snapshot != "now" &&
        !kiln::IsSnapshotTimestamp(*snapshot)) {
      lock_recipe = *snapshot;
      snapshot = "";
    }
    if (lock_recipe.empty()) {
      std::fprintf(stderr, "kiln lock: give the recipe file: kiln lock RECIPE [--snapshot [TIMESTAMP]]\n");
      return 2;
    }
    return RunLock(g, lock_recipe, snapshot);
  }
  if (cmd_rebuild->parsed()) return RunRebuild(g, rebuild);
  if (cmd_inspect->parsed()) return RunInspect(g, inspect_image, inspect_allow_backing);
  if (cmd_diff->parsed()) return RunDiff(g, diff_a, diff_b);
  if (cmd_boot->parsed()) return RunBoot(g, boot);
  if (cmd_serve->parsed()) return RunServeConnection(serve_dir, serve_log);
  if (cmd_flash->parsed()) return RunFlash(g, flash);
  if (cmd_publish->parsed()) return RunPublish(g, publish);
  if (cmd_cache->parsed()) {
    cache_cmd.action = cmd_cache_prune->parsed() ? "prune" : "info";
    return RunCache(g, cache_cmd);
  }
  return 2;
}

}  // namespace

// Last resort: a library bug that lets an exception escape (bad_alloc, a throwing JSON
// accessor on untrusted data) ends kiln with exit 1 and a message instead of abort(); the
// staging and scratch directories are RAII-owned, so unwinding here removes them.
int main(int argc, char** argv) {
  try {
    return RunCli(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("kiln: error: out of memory (an input declares a size kiln cannot hold)\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln: internal error: %s\n", kiln::EscapeMessageForTerminal(e.what()).c_str());
  } catch (...) {
    std::fputs("kiln: internal error: unknown exception\n", stderr);
  }
  return 1;
}
