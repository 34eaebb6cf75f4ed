#include "builder/shared_cache/registry_cache_hooks.h"

#include <gtest/gtest.h>

namespace kiln::shared_cache {
namespace {

recipe::Recipe SignedDebianRecipe() {
  recipe::Recipe r;
  r.base.type = recipe::BaseType::kDebian;
  r.base.suite = "trixie";
  r.signing.key = "/recipe.key";
  r.signing.certificate = "/recipe.crt";
  return r;
}

TEST(CacheOptionsForRecipe, BuildKeyPrecedenceAndTheDebianBase) {
  BuildCacheOptions base;
  base.cache_to = "127.0.0.1:5000/cache";
  const BuildCacheOptions from_recipe = CacheOptionsForRecipe(base, SignedDebianRecipe(), "", "");
  EXPECT_EQ(from_recipe.sign_key, "/recipe.key");
  EXPECT_EQ(from_recipe.sign_cert, "/recipe.crt");
  EXPECT_EQ(from_recipe.debian_base.suite, "trixie");
  EXPECT_EQ(from_recipe.cache_to, "127.0.0.1:5000/cache");
  const BuildCacheOptions from_flags = CacheOptionsForRecipe(base, SignedDebianRecipe(), "/flag.key", "/flag.crt");
  EXPECT_EQ(from_flags.sign_key, "/flag.key");
  EXPECT_EQ(from_flags.sign_cert, "/flag.crt");
}

TEST(AttachRegistryCache, HooksCheckTheOptionsBeforeAnythingRuns) {
  pipeline::BuildRequest req;
  BuildCacheOptions opts;
  opts.cache_to = "127.0.0.1:1/cache";  // --cache-to needs a signed build
  AttachRegistryCache(req, opts);
  ASSERT_TRUE(req.before_resolve && req.after_resolve && req.after_build);
  recipe::Recipe unsigned_recipe;
  Status s = req.before_resolve(unsigned_recipe, BuildContext{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsage);
}

TEST(AttachRegistryCache, WithoutACacheTheHooksDoNothing) {
  pipeline::BuildRequest req;
  AttachRegistryCache(req, BuildCacheOptions{});
  recipe::Recipe r;
  BuildContext ctx;
  EXPECT_TRUE(req.before_resolve(r, ctx).ok());
  EXPECT_TRUE(req.after_resolve(r, ctx).ok());
  EXPECT_TRUE(req.after_build(r, ctx).ok());
}

}  // namespace
}  // namespace kiln::shared_cache
