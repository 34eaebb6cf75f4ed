#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/size.h"
#include "builder/flash/flash.h"
#include "builder/flash/from_registry.h"
#include "builder/registry/reference.h"

namespace kiln::cli {

namespace {

// Asks on the terminal; without one (and without --yes) nothing is overwritten.
bool Confirm(const FlashCommandOptions& o, std::uint64_t size) {
  if (o.yes) return true;
  if (::isatty(0) != 1) {
    std::fprintf(stderr, "kiln flash: %s would be overwritten; pass --yes to confirm (stdin is not a terminal)\n",
                 o.target.c_str());
    return false;
  }
  std::fprintf(stderr, "Overwrite %s%s with %s? Type 'yes' to continue: ", o.target.c_str(),
               size ? (" (" + FormatSize(size) + ")").c_str() : "", o.image.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes" || answer == "y";
}

// IMAGE is a local file when anything exists at that path (a file always wins, so a
// directory "host:5000/" cannot turn a local image into a download); otherwise it must be a
// registry reference with a tag or digest. Neither: a usage error naming both readings.
Result<std::optional<registry::Reference>> FlashSource(const std::filesystem::path& image) {
  std::error_code ec;
  if (std::filesystem::symlink_status(image, ec).type() != std::filesystem::file_type::not_found)
    return std::optional<registry::Reference>{};
  auto ref = registry::ParseReference(image.string());
  if (!ref.ok() || (ref->tag.empty() && ref->digest.empty()))
    return MakeError(ErrorCode::kUsage, image.string() +
                                            ": no such file, and not a registry reference "
                                            "(REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:DIGEST)");
  return std::optional<registry::Reference>(*ref);
}

}  // namespace

int RunFlash(const GlobalOptions& g, const FlashCommandOptions& o) {
  auto source = FlashSource(o.image);
  if (!source.ok()) return ReportError(g, source.error());
  if (source->has_value() && !o.bmap.empty())
    return ReportError(g, Error{ErrorCode::kUsage, "--bmap is for a local image: a pushed disk image brings its own", {}});
  auto size = flash::TargetSize(o.target);
  if (!size.ok()) return ReportError(g, size.error());
  if (!Confirm(o, *size)) return ReportError(g, Error{ErrorCode::kUsage, "not confirmed: nothing was written", {}});
  EventRenderer render(g.json, g.quiet);
  const bool tty = ::isatty(2) == 1;
  int last_tenth = -1;
  std::string last_stage;
  auto on_event = [&](const Event& e) {
    render(e);
    // Off a terminal the renderer drops progress: print a plain line every 10% instead.
    if (g.json || g.quiet || tty || e.total == 0) return;
    if (e.stage != last_stage) last_tenth = -1, last_stage = e.stage;
    int tenth = static_cast<int>(10 * e.done / e.total);
    if (tenth == last_tenth) return;
    last_tenth = tenth;
    std::fprintf(stderr, "[%s] %s: %s / %s (%d%%)\n", e.stage.c_str(), e.message.c_str(), FormatSize(e.done).c_str(),
                 FormatSize(e.total).c_str(), tenth * 10);
  };
  Result<flash::FlashResult> r = Error{};
  std::string digest;
  if (source->has_value()) {
    registry::RegistryOptions opts;
    opts.insecure = o.insecure;
    auto remote = flash::FlashFromRegistry(**source, o.target, opts, {}, on_event);
    if (remote.ok()) {
      digest = remote->manifest_digest;
      r = std::move(remote->flash);
    } else {
      r = remote.error();
    }
  } else {
    r = flash::Flash({o.image, o.bmap, o.target}, on_event);
  }
  render.Flush();
  if (!r.ok()) return ReportError(g, r.error());
  if (g.json) {
    nlohmann::json j = {{"ok", true},
                        {"image", o.image.string()},
                        {"target", o.target.string()},
                        {"bmap", r->bmap_source},
                        {"image_size", r->image_size},
                        {"target_size", r->target_size},
                        {"written", r->mapped_bytes},
                        {"ranges", r->ranges},
                        {"verified", true},
                        {"gpt_moved", r->gpt_moved}};
    if (!digest.empty()) j["digest"] = digest;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: wrote %s in %llu ranges (block map: %s), read back and verified%s\n", o.target.c_str(),
                FormatSize(r->mapped_bytes).c_str(), static_cast<unsigned long long>(r->ranges), r->bmap_source.c_str(),
                r->gpt_moved ? "; backup GPT moved to the end of the target" : "");
  }
  return 0;
}

}  // namespace kiln::cli
