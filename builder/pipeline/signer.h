// The build's signing identity: --key/--cert, else the recipe's [signing], loaded and checked
// once at the start so a bad key fails before any work is done.
#pragma once

#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"
#include "signing/keys.h"

namespace kiln::pipeline {

struct Signer {
  signing::PrivateKey key;
  signing::Certificate cert;
};

// Where the key and certificate come from: the command line wins over [signing].
struct SigningPaths {
  std::string key;   // path or provider URI ("pkcs11:..."); empty when none
  std::string cert;  // empty when none
};
SigningPaths SigningPathsFor(const std::string& key_flag, const std::string& cert_flag,
                             const recipe::SigningSection& signing);

// Loads the pair and checks the key matches the certificate. No key and no certificate is no
// signer, or kUsage when `required` (a disk image that was not asked to be unsigned).
Result<std::optional<Signer>> LoadSigner(const SigningPaths& paths, bool required);

}  // namespace kiln::pipeline
