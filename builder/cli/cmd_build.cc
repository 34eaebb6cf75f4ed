#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/size.h"
#include "builder/input_archive/archive_writer.h"
#include "builder/manifest/published_files.h"
#include "builder/pipeline/pipeline.h"
#include "builder/recipe/recipe_parser.h"
#include "builder/shared_cache/registry_cache_hooks.h"
#include "builder/sources/download_cache.h"

namespace kiln::cli {

namespace {

Result<std::optional<std::int64_t>> SourceDateEpochFromEnv() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return std::optional<std::int64_t>();
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < 0)
    return MakeError(ErrorCode::kUsage, std::string("SOURCE_DATE_EPOCH='") + v + "' is not a non-negative integer");
  return std::optional<std::int64_t>(n);
}

}  // namespace

int RunBuild(const GlobalOptions& g, const BuildOptions& o) {
  auto sde = SourceDateEpochFromEnv();
  if (!sde.ok()) return ReportError(g, sde.error());
  EventRenderer render(g.json, g.quiet);
  pipeline::BuildRequest req;
  req.recipe = o.recipe;
  req.out_dir = o.out_dir;
  req.key = o.key;
  req.cert = o.cert;
  req.allow_unsigned = o.allow_unsigned;
  req.sbom_cyclonedx = o.sbom == "cyclonedx";
  req.source_date_epoch = *sde;
  req.ctx = ContextFromOptions(g, [&render](const Event& e) { render(e); });
  if (Status c = UsePrivateCacheDir(g, req.ctx); !c.ok()) return ReportError(g, c.error());
  shared_cache::BuildCacheOptions cache;
  cache.cache_from = o.cache_from;
  cache.cache_to = o.cache_to;
  cache.cache_trust = o.cache_trust;
  cache.insecure = o.cache_insecure;
  shared_cache::AttachRegistryCache(req, cache);
  // --archive: every input is captured while the build reads it; the archive's index digest is
  // recorded beside the manifest once the build is published.
  std::unique_ptr<input_archive::ArchiveWriter> archive;
  input_archive::ArchiveSummary archived;
  if (!o.archive.empty()) {
    auto w = input_archive::ArchiveWriter::Create(o.archive);
    if (!w.ok()) return ReportError(g, w.error());
    archive = std::move(*w);
    req.ctx.inputs = archive.get();
    req.after_build = [cache_after = req.after_build, &archive, &archived, &o](const recipe::Recipe& r,
                                                                                  const BuildContext& c) -> Status {
      if (cache_after) KILN_TRY(cache_after(r, c));
      KILN_ASSIGN_OR_RETURN(archived, archive->Finish());
      const input_archive::ArchiveSummary& s = archived;
      c.Report("archive", "input archive " + o.archive.string() + ": " + std::to_string(s.inputs) + " inputs, " +
                              std::to_string(s.blobs) + " blobs, " + FormatSize(s.blob_bytes) + ", index " +
                              s.index_digest);
      return input_archive::WriteArchiveRecord(o.out_dir, r.image.name, r.image.version, s);
    };
  }
  auto r = pipeline::Build(req);
  render.Flush();
  if (!r.ok()) return ReportError(g, r.error());
  const auto& m = r->manifest;
  if (g.json) {
    nlohmann::json j = {{"ok", true}, {"image", m.image_name}, {"version", m.image_version},
                        {"outputDirectory", r->out_dir.string()}, {"seed", m.seed},
                        {"sourceDateEpoch", m.source_date_epoch}};
    if (!m.root_hash.empty()) j["rootHash"] = m.root_hash;
    if (archive) j["inputArchive"] = {{"dir", o.archive.string()}, {"index", archived.index_digest}, {"blobBytes", archived.blob_bytes}};
    j["artifacts"] = nlohmann::json::array();
    for (auto& a : m.artifacts) j["artifacts"].push_back({{"name", a.name}, {"size", a.size}, {"sha256", a.sha256}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (g.quiet) return 0;  // -q: errors only
  std::printf("built %s %s into %s\n", m.image_name.c_str(), m.image_version.c_str(), r->out_dir.c_str());
  // Every published file, including the manifest, its signature and the provenance, as
  // SHA256SUMS lists them; files inside an OCI layout get one line for the layout.
  auto published = manifest::ReadPublishedFiles(r->out_dir);
  if (!published.ok()) return ReportError(g, published.error());
  for (auto& a : published->files)
    std::printf("  %-44s %10s  sha256:%s\n", a.name.c_str(), FormatSize(a.size).c_str(), a.sha256.c_str());
  for (auto& [dir, n] : published->layouts)
    std::printf("  %-44s %10zu files (digests in SHA256SUMS)\n", dir.c_str(), n);
  std::printf("  %-44s\n", std::string(artifacts::kChecksumsFileName).c_str());
  if (!m.root_hash.empty()) std::printf("root hash %s\n", m.root_hash.c_str());
  return 0;
}

int RunValidate(const GlobalOptions& g, const std::filesystem::path& recipe) {
  auto r = recipe::LoadRecipe(recipe);
  if (!r.ok()) return ReportError(g, r.error());
  if (g.json) std::printf("{\n  \"ok\": true\n}\n");
  else std::printf("%s: ok\n", recipe.c_str());
  return 0;
}

}  // namespace kiln::cli
