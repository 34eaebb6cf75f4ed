#include "builder/shared_cache/registry_cache_hooks.h"

#include <memory>

#include "builder/pipeline/signer.h"
#include "builder/pipeline/stage_options.h"

namespace kiln::shared_cache {

BuildCacheOptions CacheOptionsForRecipe(BuildCacheOptions opts, const recipe::Recipe& recipe,
                                        const std::string& key_flag, const std::string& cert_flag) {
  const pipeline::SigningPaths signing = pipeline::SigningPathsFor(key_flag, cert_flag, recipe.signing);
  opts.sign_key = signing.key;
  opts.sign_cert = signing.cert;
  opts.debian_base = pipeline::DebianBaseFor(recipe);
  return opts;
}

void AttachRegistryCache(pipeline::BuildRequest& req, const BuildCacheOptions& opts) {
  // Shared by the three hooks: the first fills in what the recipe decides.
  auto cache = std::make_shared<BuildCacheOptions>(opts);
  req.before_resolve = [cache, key = req.key, cert = req.cert](const recipe::Recipe& r,
                                                               const BuildContext& c) -> Status {
    // The pipeline has already checked that the key and certificate match.
    *cache = CacheOptionsForRecipe(*cache, r, key, cert);
    KILN_TRY(CheckRegistryCacheOptions(*cache));
    KILN_TRY(RestoreFromRegistryCache(r, c, *cache));
    return MarkBlockPackStart(c, *cache);
  };
  req.after_resolve = [cache](const recipe::Recipe& r, const BuildContext& c) {
    return SaveToRegistryCache(r, c, *cache);
  };
  req.after_build = [cache](const recipe::Recipe& r, const BuildContext& c) {
    return SaveBlocksToRegistryCache(r, c, *cache);
  };
}

}  // namespace kiln::shared_cache
