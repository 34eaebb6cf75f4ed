#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/size.h"
#include "builder/common/text_escape.h"
#include "builder/publish/publish.h"
#include "signing/keys.h"

namespace kiln::cli {

int RunPublish(const GlobalOptions& g, const PublishCommandOptions& o) {
  if (o.key.empty() || o.cert.empty())
    return ReportError(g, Error{ErrorCode::kUsage, "kiln publish needs --key and --cert (the build's signing key)", {}});
  auto cert = signing::LoadCertificate(o.cert);
  if (!cert.ok()) return ReportError(g, Error{ErrorCode::kUsage, cert.error().ToString(), {}});
  auto key = signing::LoadPrivateKey(o.key);
  if (!key.ok()) return ReportError(g, Error{ErrorCode::kUsage, key.error().ToString(), {}});
  EventRenderer render(g.json, g.quiet);
  publish::PublishOptions opt;
  opt.out_dir = o.out_dir;
  opt.channel_dir = o.channel_dir;
  opt.keep = o.keep;
  opt.compress = !o.no_compress;
  opt.allow_older = o.allow_older;
  opt.allow_other_signer = o.allow_other_signer;
  opt.jobs = EffectiveJobs(g);
  opt.on_event = [&render](const Event& e) { render(e); };
  auto r = publish::Publish(opt, *key, *cert);
  render.Flush();
  if (!r.ok()) return ReportError(g, r.error());
  const auto& v = r->published;
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"image", r->image}, {"version", r->version},
                        {"architecture", r->architecture}, {"channel", o.channel_dir.string()},
                        {"rootHash", v.root_hash}, {"pruned", r->pruned}, {"removedFiles", r->removed_files}};
    j["versions"] = nlohmann::json::array();
    for (const auto& kept : r->index.versions) j["versions"].push_back(kept.version);
    j["files"] = nlohmann::json::array();
    for (const auto* f : channel::FilesOf(v)) j["files"].push_back({{"path", f->path}, {"size", f->size}, {"sha256", f->sha256}});
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (g.quiet) return 0;
  std::printf("published %s %s to %s\n", r->image.c_str(), r->version.c_str(),
              EscapeForTerminal(o.channel_dir.string()).c_str());
  for (const auto* f : channel::FilesOf(v))
    std::printf("  %-44s %10s  sha256:%s\n", f->path.c_str(), FormatSize(f->size).c_str(), f->sha256.c_str());
  std::string kept;
  for (const auto& k : r->index.versions) kept += (kept.empty() ? "" : ", ") + k.version;
  std::printf("channel versions: %s\n", kept.c_str());
  for (const auto& p : r->pruned) std::printf("pruned %s\n", p.c_str());
  return 0;
}

}  // namespace kiln::cli
