// The shared build cache (--cache-from/--cache-to) attached to a pipeline build through its
// hooks: before the base is resolved, entries are restored from the cache repository; after
// it, the base tree is pushed; after the build, the new compressed blocks.
#pragma once

#include <string>

#include "builder/pipeline/pipeline.h"
#include "builder/recipe/recipe.h"
#include "builder/shared_cache/build_cache.h"

namespace kiln::shared_cache {

// The options for one recipe: the build's key signs what --cache-to pushes and its certificate
// is trusted for --cache-from, with the build's own precedence (--key/--cert over [signing]);
// the recipe's Debian base keys the entries.
BuildCacheOptions CacheOptionsForRecipe(BuildCacheOptions opts, const recipe::Recipe& recipe,
                                        const std::string& key_flag, const std::string& cert_flag);

// Sets req's before_resolve, after_resolve and after_build hooks (call it once req.key and
// req.cert are set). Without cache_from and
// cache_to the hooks do nothing but check the options.
void AttachRegistryCache(pipeline::BuildRequest& req, const BuildCacheOptions& opts);

}  // namespace kiln::shared_cache
