#include <cstdio>
#include <filesystem>
#include <map>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/files.h"
#include "builder/common/size.h"
#include "builder/input_archive/archive_writer.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/pipeline.h"
#include "builder/pipeline/stage_options.h"
#include "builder/recipe/recipe_parser.h"
#include "builder/shared_cache/build_cache.h"
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
  req.before_resolve = [&cache, &o](const recipe::Recipe& r, const BuildContext& c) -> Status {
    // The build's key signs what --cache-to pushes and its certificate is trusted for
    // --cache-from; the same precedence as the build's own signer (the pipeline has
    // already checked that the two match).
    cache.sign_key = !o.key.empty() ? o.key : r.signing.key;
    cache.sign_cert = !o.cert.empty() ? o.cert : r.signing.certificate ? r.signing.certificate->string() : "";
    cache.debian_base = pipeline::DebianBaseFor(r);
    KILN_TRY(shared_cache::CheckRegistryCacheOptions(cache));
    KILN_TRY(shared_cache::RestoreFromRegistryCache(r, c, cache));
    return shared_cache::MarkBlockPackStart(c, cache);
  };
  std::unique_ptr<input_archive::ArchiveWriter> archive;
  input_archive::ArchiveSummary archived;
  if (!o.archive.empty()) {
    auto w = input_archive::ArchiveWriter::Create(o.archive);
    if (!w.ok()) return ReportError(g, w.error());
    archive = std::move(*w);
    req.ctx.inputs = archive.get();
  }
  req.after_build = [&cache, &archive, &archived, &o](const recipe::Recipe& r, const BuildContext& c) -> Status {
    KILN_TRY(shared_cache::SaveBlocksToRegistryCache(r, c, cache));
    if (!archive) return OkStatus();
    KILN_ASSIGN_OR_RETURN(archived, archive->Finish());
    const input_archive::ArchiveSummary& s = archived;
    c.Report("archive", "input archive " + o.archive.string() + ": " + std::to_string(s.inputs) + " inputs, " +
                            std::to_string(s.blobs) + " blobs, " + FormatSize(s.blob_bytes) + ", index " + s.index_digest);
    return input_archive::WriteArchiveRecord(o.out_dir, r.image.name, r.image.version, s);
  };
  req.after_resolve = [&cache](const recipe::Recipe& r, const BuildContext& c) {
    return shared_cache::SaveToRegistryCache(r, c, cache);
  };
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
  auto sums_text = ReadFile(r->out_dir / artifacts::kChecksumsFileName);
  if (!sums_text.ok()) return ReportError(g, sums_text.error());
  auto sums = manifest::ParseSha256Sums(*sums_text);
  if (!sums.ok()) return ReportError(g, sums.error());
  std::map<std::string, std::size_t> layouts;
  for (auto& a : *sums) {
    auto slash = a.name.find('/');
    if (slash != std::string::npos) {
      ++layouts[a.name.substr(0, slash + 1)];
      continue;
    }
    std::error_code ec;
    auto size = std::filesystem::file_size(r->out_dir / a.name, ec);
    std::printf("  %-44s %10s  sha256:%s\n", a.name.c_str(), FormatSize(size).c_str(), a.sha256.c_str());
  }
  for (auto& [dir, n] : layouts)
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
