// kiln-update: the update agent inside an updatable kiln image (docs/updates.md, "The agent").
// This file only parses arguments, prints and maps errors to exit codes; the work is in the
// kiln_update_agent library.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "builder/common/files.h"
#include "builder/common/text_escape.h"
#include "builder/update_agent/check.h"
#include "builder/update_agent/rollback.h"
#include "builder/update_agent/status.h"
#include "builder/update_agent/update.h"

namespace {

using namespace kiln;
using namespace kiln::update_agent;

// check's own answer "nothing newer" is 1, so its errors need another code.
constexpr int kCheckErrorExit = 3;

int Fail(const Error& e, int exit_code) {
  std::cerr << "kiln-update: error: " << EscapeMessageForTerminal(e.ToString()) << "\n";
  return exit_code;
}

void Report(const std::string& line) { std::cerr << "kiln-update: " << EscapeMessageForTerminal(line) << "\n"; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kiln-update: installs new versions of this kiln image into the inactive A/B slot", "kiln-update"};
  app.require_subcommand(1);
  AgentPaths paths;
  std::string disk, esp;
  app.add_option("--disk", disk, "Disk image or block device instead of the boot disk");
  app.add_option("--esp", esp, "ESP directory instead of the mounted or auto-mounted ESP");
  app.add_option("--cmdline", paths.cmdline, "File instead of /proc/cmdline");
  app.add_option("--release", paths.release, "File instead of /usr/lib/kiln/release.json");
  app.add_option("--cert", paths.cert, "Certificate instead of /usr/lib/kiln/channel.crt");

  auto* status = app.add_subcommand("status", "Version, slot, root hash, boot counter and what is pending");
  bool json = false;
  std::string prometheus;
  status->add_flag("--json", json, "Machine-readable output");
  status->add_option("--prometheus", prometheus, "Also write kiln_build_info to this file (atomically)");

  auto* check = app.add_subcommand("check", "Exit 0 when the channel holds a newer version, 1 when not");
  std::string channel_url;
  check->add_option("--channel", channel_url, "Channel URL instead of release.json's");

  auto* update = app.add_subcommand("update", "Install the channel's newest version into the inactive slot");
  bool allow_downgrade = false;
  update->add_flag("--allow-downgrade", allow_downgrade, "Install the channel's newest even when it is older");
  update->add_option("--channel", channel_url, "Channel URL instead of release.json's");

  app.add_subcommand("rollback", "Boot the other slot's version next");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  paths.disk = disk;
  paths.esp = esp;
  ChannelOptions copts;
  copts.channel_url = channel_url;
  copts.report = Report;

  if (status->parsed()) {
    auto r = GetStatus(paths, esp.empty() ? kLoaderBootCountPathVariable : "");
    if (!r.ok()) return Fail(r.error(), ExitCodeFor(r.error().code));
    std::cout << (json ? StatusJson(*r) : StatusText(*r));
    if (!prometheus.empty())
      if (Status w = WriteFileAtomic(prometheus, PrometheusText(*r)); !w.ok()) return Fail(w.error(), ExitCodeFor(w.error().code));
    return 0;
  }
  if (check->parsed()) {
    auto r = Check(paths, copts);
    if (!r.ok()) return Fail(r.error(), r.error().code == ErrorCode::kUsage ? 2 : kCheckErrorExit);
    if (r->newer) {
      std::cout << "newer version available: " << r->newest << " (running " << r->running << ")\n";
      return 0;
    }
    std::cout << "no newer version (running " << r->running << ", channel's newest "
              << (r->newest.empty() ? "none" : r->newest) << ")\n";
    return 1;
  }
  if (update->parsed()) {
    UpdateOptions o;
    o.channel = copts;
    o.allow_downgrade = allow_downgrade;
    auto r = Update(paths, o);
    if (!r.ok()) return Fail(r.error(), ExitCodeFor(r.error().code));
    switch (r->kind) {
      case UpdateOutcome::Kind::kInstalled:
        std::cout << "installed " << r->version << " into slot " << r->slot << " as " << r->entry
                  << "; it boots at the next restart\n";
        break;
      case UpdateOutcome::Kind::kAlreadyInstalled:
        std::cout << r->version << " is already installed in slot " << r->slot << " (" << r->entry
                  << "); it boots at the next restart\n";
        break;
      case UpdateOutcome::Kind::kUpToDate:
        std::cout << "up to date\n";
        break;
    }
    return 0;
  }
  auto r = Rollback(paths);
  if (!r.ok()) return Fail(r.error(), ExitCodeFor(r.error().code));
  std::cout << "rolled back: " << r->to_version << " (slot " << r->to_slot << ", " << r->to_entry
            << ") boots next instead of " << r->from_version
            << (r->from_entry.empty() ? std::string() : " (" + r->from_entry + ")") << "\n";
  return 0;
}
