// kiln cache info | prune [--max SIZE]: the block and tree caches under --cache.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/cache/cache_prune.h"
#include "builder/cli/commands.h"
#include "builder/common/size.h"

namespace kiln::cli {

namespace {

nlohmann::json UsageJson(const cache::CacheUsage& u) { return {{"entries", u.entries}, {"bytes", u.bytes}}; }

}  // namespace

int RunCache(const GlobalOptions& g, const CacheCommandOptions& o) {
  BuildContext ctx = ContextFromOptions(g, {});
  if (ctx.cache_dir.empty() && g.cache_dir.empty())
    return ReportError(g, MakeError(ErrorCode::kUsage, "no cache directory: neither XDG_CACHE_HOME nor HOME is set; pass --cache DIR"));
  const auto dirs = cache::ManagedCacheDirs(ctx.cache_dir);
  if (o.action == "info") {
    auto u = cache::MeasureCache(dirs);
    if (!u.ok()) return ReportError(g, u.error());
    if (g.json) {
      nlohmann::json j = {{"ok", true}, {"cacheDirectory", ctx.cache_dir.string()}, {"usage", UsageJson(*u)},
                          {"cacheMax", ctx.cache_max}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s: %llu entries, %s (--cache-max %s)\n", ctx.cache_dir.c_str(),
                  static_cast<unsigned long long>(u->entries), FormatSize(u->bytes).c_str(),
                  ctx.cache_max ? FormatSize(ctx.cache_max).c_str() : "none");
    }
    return 0;
  }
  std::uint64_t max = ctx.cache_max;
  if (!o.max.empty()) {
    auto m = ParseSize(o.max);
    if (!m.ok()) return ReportError(g, MakeError(ErrorCode::kUsage, "--max: " + m.error().message));
    max = *m;
  }
  auto r = cache::PruneCache(dirs, max);
  if (!r.ok()) return ReportError(g, r.error());
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"cacheDirectory", ctx.cache_dir.string()}, {"removed", r->removed},
                        {"before", UsageJson(r->before)}, {"after", UsageJson(r->after)}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("removed %llu entries: %s -> %s (%llu entries left)\n", static_cast<unsigned long long>(r->removed),
                FormatSize(r->before.bytes).c_str(), FormatSize(r->after.bytes).c_str(),
                static_cast<unsigned long long>(r->after.entries));
  }
  return 0;
}

}  // namespace kiln::cli
