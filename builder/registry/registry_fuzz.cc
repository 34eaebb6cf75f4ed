// libFuzzer harness: what kiln does with a registry's answers (`kiln pull` of an image or a
// disk image, `kiln flash` of a disk image, the artifact type probe, cosign verification, referrers). The input becomes a
// set of documents (builder/oci/fuzz_layout.h) served by the in-memory test registry on
// 127.0.0.1: document 0 as the manifest tagged "fuzz" and as the cosign signature and
// referrers fallback tags of itself; every document as a blob and as a manifest by digest.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "builder/common/fuzz_input.h"
#include "builder/oci/fuzz_layout.h"
#include "builder/registry/cosign.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/pull.h"
#include "builder/registry/reference.h"
#include "builder/registry/referrers.h"
#include "builder/registry/registry_client.h"
#include "signing/keys.h"

namespace {

// Any P-256 key: no input can carry a valid signature, the parsing before it is the target.
constexpr const char* kPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDwSVSMeS+GG+dFyC4ZdN+PlIfODa
EO5vPRUd26NsCpTt34k72esO/SpxpxnOLG9rZ6hK60arARZZPFBQWvpLuw==
-----END PUBLIC KEY-----
)";

struct Fixture {
  kiln::registry::testing::FakeRegistry registry;
  std::optional<kiln::signing::PublicKey> key;
  kiln::registry::PullOptions opts;
  kiln::registry::Reference ref;
};

Fixture& TheFixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto key = kiln::signing::ParsePublicKey(kPublicKey);
    auto ref = kiln::registry::ParseReference(fx->registry.Host() + "/app:fuzz");
    if (!key.ok() || !ref.ok()) std::abort();
    fx->key.emplace(std::move(key).value());
    fx->ref = std::move(ref).value();
    fx->opts.insecure = true;
    fx->opts.max_attempts = 1;
    fx->opts.retry_delay = std::chrono::milliseconds(0);
    fx->opts.auth_file = kiln::fuzz::ScratchDir() / "no-auth.json";
    return fx;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace reg = kiln::registry;
  Fixture& f = TheFixture();
  auto docs = kiln::fuzz::SplitDocuments(data, size);
  f.registry.blobs.clear();
  f.registry.manifests.clear();
  for (const auto& d : docs) f.registry.blobs[d.digest] = f.registry.manifests[d.digest] = d.bytes;
  const std::string& top = docs[0].digest;
  f.registry.manifests["fuzz"] = docs[0].bytes;
  const std::string& next = docs.size() > 1 ? docs[1].bytes : docs[0].bytes;
  f.registry.manifests[reg::CosignSignatureTag(top)] = next;
  f.registry.manifests[reg::ReferrersTag(top)] = next;

  (void)reg::RemoteArtifactType(f.ref, f.opts);
  (void)reg::PullLayout(f.ref, kiln::fuzz::ScratchDir() / "image.oci", f.opts);
  (void)reg::PullDiskImage(f.ref, kiln::fuzz::ScratchDir() / "disk", f.opts);
  // kiln flash REF: the raw image and block map layers picked from the manifest and fetched.
  const std::filesystem::path flash_dir = kiln::fuzz::ScratchDir() / "flash";
  std::error_code ec;
  std::filesystem::create_directories(flash_dir, ec);
  (void)reg::FetchRawImage(f.ref, flash_dir, f.opts);
  std::filesystem::remove_all(flash_dir, ec);
  (void)reg::VerifyCosignSignature(f.ref, *f.key, f.opts);
  if (auto client = reg::RegistryClient::Create(f.ref.registry, f.opts); client.ok())
    (void)reg::ListReferrers(*client, f.ref.repository, top);
  return 0;
}
