#include "signing/message_signature.h"

#include <openssl/err.h>

namespace kiln::signing {
namespace {

// Ed25519/Ed448 sign the message itself (no separate digest); everything else SHA-256.
const EVP_MD* DigestFor(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448")) return nullptr;
  return EVP_sha256();
}

}  // namespace

Result<std::string> SignMessage(const PrivateKey& key, std::string_view msg) {
  ERR_clear_error();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(key.native()), nullptr, key.native()) != 1)
    return MakeError(ErrorCode::kBuild, "cannot start signing" + OpenSslErrorSuffix());
  const auto* m = reinterpret_cast<const unsigned char*>(msg.data());
  std::size_t len = 0;
  // One-shot EVP_DigestSign: the only form Ed25519 supports, and fine for the others.
  if (EVP_DigestSign(ctx.get(), nullptr, &len, m, msg.size()) != 1)
    return MakeError(ErrorCode::kBuild, "signing failed" + OpenSslErrorSuffix());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, m, msg.size()) != 1)
    return MakeError(ErrorCode::kBuild, "signing failed" + OpenSslErrorSuffix());
  sig.resize(len);  // ECDSA DER signatures are often shorter than the maximum
  return sig;
}

Status VerifyMessage(const PublicKey& key, std::string_view msg, std::string_view sig) {
  ERR_clear_error();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(key.native()), nullptr, key.native()) != 1)
    return MakeError(ErrorCode::kBuild, "cannot start signature verification" + OpenSslErrorSuffix());
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  TakeOpenSslErrors();  // a bad signature leaves decoding errors that say nothing useful
  if (ok != 1) return MakeError(ErrorCode::kIntegrity, "signature does not verify with the given public key");
  return OkStatus();
}

}  // namespace kiln::signing
