#include "signing/pkcs7.h"

#include <openssl/err.h>

namespace kiln::signing {
namespace {

// The kernel and systemd look at the signer certificate embedded in the PKCS#7, so a
// signature whose embedded signer differs from ours (even by one byte) is refused too.
// A PKCS#7 without embedded certificates (made with NOCERTS) is fine.
Status CheckEmbeddedSigners(PKCS7* p7, const Certificate& cert) {
  STACK_OF(X509)* embedded = p7->d.sign->cert;
  if (embedded == nullptr || sk_X509_num(embedded) == 0) return OkStatus();
  // Borrowed pointers into p7: only the stack itself is ours to free.
  X509StackPtr signers(PKCS7_get0_signers(p7, nullptr, 0));
  bool ok = signers != nullptr && sk_X509_num(signers.get()) > 0;
  for (int i = 0; ok && i < sk_X509_num(signers.get()); ++i)
    ok = X509_cmp(sk_X509_value(signers.get(), i), cert.native()) == 0;
  TakeOpenSslErrors();
  if (!ok)
    return MakeError(ErrorCode::kIntegrity, "signature does not verify with certificate " +
                                                CertificateFingerprintSha256(cert) +
                                                " (the embedded signer certificate differs)");
  return OkStatus();
}

bool IsAcceptedDigest(int nid) { return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512; }

std::string NameDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Structure checks that PKCS7_verify leaves out: none of these bytes is covered by the
// signature, but the kernel refuses a non-data content type, and a verifier that shrugs at
// altered metadata makes a poor judge. Returns the reason, or "" when the structure is fine.
std::string StructureProblem(PKCS7* p7, std::string_view der, const Certificate& cert) {
  unsigned char* again = nullptr;
  int len = i2d_PKCS7(p7, &again);
  bool canonical = len > 0 && std::string_view(reinterpret_cast<char*>(again), static_cast<std::size_t>(len)) == der;
  OPENSSL_free(again);
  if (!canonical) return "not canonical DER";
  // RFC 2315: SignedData and SignerInfo versions are 1 with issuerAndSerialNumber.
  if (ASN1_INTEGER_get(p7->d.sign->version) != 1) return "unsupported SignedData version";
  // Checked here also because OpenSSL 3.0's PKCS7_verify leaks a BIO when it cannot set up
  // a digest listed in digestAlgorithms.
  STACK_OF(X509_ALGOR)* md_algs = p7->d.sign->md_algs;
  for (int i = 0; i < sk_X509_ALGOR_num(md_algs); ++i) {
    if (!IsAcceptedDigest(OBJ_obj2nid(sk_X509_ALGOR_value(md_algs, i)->algorithm)))
      return "unsupported digest algorithm";
  }
  PKCS7* contents = p7->d.sign->contents;
  if (contents == nullptr || !PKCS7_type_is_data(contents)) return "content type is not pkcs7-data";
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7);
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) == 0) return "no signer";
  std::string issuer = NameDer(X509_get_issuer_name(cert.native()));
  for (int i = 0; i < sk_PKCS7_SIGNER_INFO_num(infos); ++i) {
    PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, i);
    if (ASN1_INTEGER_get(si->version) != 1) return "unsupported SignerInfo version";
    // X509_NAME_cmp ignores case; the signer must name this certificate byte for byte.
    if (NameDer(si->issuer_and_serial->issuer) != issuer ||
        ASN1_INTEGER_cmp(si->issuer_and_serial->serial, X509_get0_serialNumber(cert.native())) != 0)
      return "signer is not the given certificate";
    if (!IsAcceptedDigest(OBJ_obj2nid(si->digest_alg->algorithm))) return "unsupported digest algorithm";
    if (OBJ_obj2nid(si->digest_enc_alg->algorithm) == NID_undef) return "unknown signature algorithm";
  }
  return {};
}

Result<std::string> SignPkcs7(std::string_view data, const PrivateKey& key, const Certificate& cert,
                              int flags) {
  ERR_clear_error();
  if (!KeyMatchesCertificate(key, cert))
    return MakeError(ErrorCode::kInput, "the signing key does not belong to certificate " +
                                            CertificateSubject(cert) + " (" +
                                            CertificateFingerprintSha256(cert) + ")");
  BioPtr in = MemoryBio(data);
  Pkcs7Ptr p7(PKCS7_sign(cert.native(), key.native(), nullptr, in.get(), flags));
  if (!p7) return MakeError(ErrorCode::kBuild, "PKCS#7 signing failed" + OpenSslErrorSuffix());
  unsigned char* der = nullptr;
  int len = i2d_PKCS7(p7.get(), &der);
  if (len <= 0) return MakeError(ErrorCode::kBuild, "cannot encode PKCS#7 as DER" + OpenSslErrorSuffix());
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Decodes der as one SignedData (no trailing bytes) that is attached or detached as asked,
// then applies the structure checks.
Result<Pkcs7Ptr> DecodeSignedData(std::string_view der, const Certificate& cert, bool detached) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7)
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature" + OpenSslErrorSuffix());
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature (trailing bytes)");
  if (!PKCS7_type_is_signed(p7.get()))
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature (not SignedData)");
  if (detached && !PKCS7_get_detached(p7.get()))
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature (content attached, expected detached)");
  if (!detached && PKCS7_get_detached(p7.get()))
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature (content detached, expected attached)");

  if (std::string why = StructureProblem(p7.get(), der, cert); !why.empty()) {
    TakeOpenSslErrors();
    if (why == "signer is not the given certificate")
      return MakeError(ErrorCode::kIntegrity, "signature does not verify with certificate " +
                                                  CertificateFingerprintSha256(cert) + " (" + why + ")");
    return MakeError(ErrorCode::kIntegrity, "malformed PKCS#7 signature (" + why + ")");
  }
  return p7;
}

// PKCS7_verify against exactly cert. data is the detached content (nullptr when attached);
// out receives the verified content.
Status VerifySignedData(PKCS7* p7, const Certificate& cert, BIO* data, BIO* out) {
  X509StackPtr certs(sk_X509_new_null());
  X509StorePtr store(X509_STORE_new());
  if (!certs || !store || sk_X509_push(certs.get(), cert.native()) <= 0)
    return MakeError(ErrorCode::kBuild, "out of memory verifying PKCS#7");
  // NOINTERN: signers are looked up only in `certs`, so each signer must be this certificate.
  // NOVERIFY: no chain or date check; pinning the certificate is the trust decision.
  int ok = PKCS7_verify(p7, certs.get(), store.get(), data, out,
                        PKCS7_NOINTERN | PKCS7_NOVERIFY | PKCS7_BINARY);
  if (ok != 1)
    return MakeError(ErrorCode::kIntegrity, "signature does not verify with certificate " +
                                                CertificateFingerprintSha256(cert) +
                                                OpenSslErrorSuffix());
  return CheckEmbeddedSigners(p7, cert);
}

}  // namespace

Result<std::string> SignPkcs7Detached(std::string_view data, const PrivateKey& key,
                                      const Certificate& cert) {
  return SignPkcs7(data, key, cert, PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_BINARY);
}

Result<std::string> SignPkcs7Attached(std::string_view data, const PrivateKey& key,
                                      const Certificate& cert) {
  return SignPkcs7(data, key, cert, PKCS7_NOATTR | PKCS7_BINARY);
}

Status VerifyPkcs7Detached(std::string_view data, std::string_view der, const Certificate& cert) {
  ERR_clear_error();
  KILN_ASSIGN_OR_RETURN(Pkcs7Ptr p7, DecodeSignedData(der, cert, /*detached=*/true));
  BioPtr in = MemoryBio(data);
  return VerifySignedData(p7.get(), cert, in.get(), nullptr);
}

Result<std::string> VerifyPkcs7Attached(std::string_view der, const Certificate& cert,
                                        std::size_t max_der_size) {
  ERR_clear_error();
  if (der.size() > max_der_size)
    return MakeError(ErrorCode::kIntegrity, "PKCS#7 signed data is " + std::to_string(der.size()) +
                                                " bytes, more than the limit of " +
                                                std::to_string(max_der_size));
  KILN_ASSIGN_OR_RETURN(Pkcs7Ptr p7, DecodeSignedData(der, cert, /*detached=*/false));
  // The signer certificate must travel with the content: exactly one, and it is ours.
  STACK_OF(X509)* embedded = p7->d.sign->cert;
  if (embedded == nullptr || sk_X509_num(embedded) != 1 ||
      X509_cmp(sk_X509_value(embedded, 0), cert.native()) != 0) {
    TakeOpenSslErrors();
    return MakeError(ErrorCode::kIntegrity, "signature does not verify with certificate " +
                                                CertificateFingerprintSha256(cert) +
                                                " (the embedded certificate is not that certificate)");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return MakeError(ErrorCode::kBuild, "out of memory verifying PKCS#7");
  KILN_TRY(VerifySignedData(p7.get(), cert, nullptr, out.get()));
  return BioContents(out.get());
}

Result<Certificate> Pkcs7SignerCertificate(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7Ptr pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!pkcs7 || !PKCS7_type_is_signed(pkcs7.get()) || !pkcs7->d.sign || !pkcs7->d.sign->cert ||
      sk_X509_num(pkcs7->d.sign->cert) < 1) {
    TakeOpenSslErrors();
    return MakeError(ErrorCode::kInput, "PKCS#7 signature carries no certificate");
  }
  X509* cert = sk_X509_value(pkcs7->d.sign->cert, 0);
  X509_up_ref(cert);
  return Certificate(X509Ptr(cert));
}

}  // namespace kiln::signing
