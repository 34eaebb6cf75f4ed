// `kiln build`: sequences the stages (recipe -> inputs -> file tree -> squashfs + verity ->
// disk / OCI -> signatures and manifest) and does nothing else. Each stage is its own
// library; this file only passes their products along.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

struct BuildRequest {
  std::filesystem::path recipe;
  std::filesystem::path out_dir = "out";
  std::string key;         // --key (overrides [signing].key)
  std::string cert;        // --cert (overrides [signing].certificate)
  bool allow_unsigned = false;                     // --unsigned
  bool sbom_cyclonedx = false;                     // --sbom cyclonedx (SPDX is always written)
  std::optional<std::int64_t> source_date_epoch;  // from the SOURCE_DATE_EPOCH environment variable
  BuildContext ctx;        // jobs, cache_dir, offline, on_event (work_dir is made by Build)
  // Called just before and just after the base is resolved (the registry build cache,
  // --cache-from/--cache-to: builder/shared_cache/build_cache.h); empty: not called.
  std::function<Status(const recipe::Recipe&, const BuildContext&)> before_resolve, after_resolve;
  // Called once the outputs are in place (before the caches are pruned); empty: not called.
  std::function<Status(const recipe::Recipe&, const BuildContext&)> after_build;
};

struct BuildSummary {
  manifest::BuildManifest manifest;
  std::filesystem::path out_dir;
};

Result<BuildSummary> Build(const BuildRequest& request);

// The kiln version string built into the binary.
const char* KilnVersion();

}  // namespace kiln::pipeline
