// Owners for signing keys and X.509 certificates, and loading them from files or OpenSSL
// provider URIs (OSSL_STORE: "file:...", "pkcs11:..." when a provider is configured).
// Used by the disk stage (verity signature), the oci stage (cosign), provenance (DSSE) and
// the CLI (`kiln genkey`, `--key`, `--cert`). Error messages name the file, never key bytes.
#pragma once

#include <openssl/types.h>

#include <string>

#include "builder/common/result.h"
#include "signing/openssl_handles.h"

namespace kiln::signing {

// A private key (may live in a provider, e.g. an HSM; then only a handle is in memory).
// Copies share the same underlying key (reference counted by OpenSSL).
class PrivateKey {
 public:
  explicit PrivateKey(EvpPkeyPtr pkey) : pkey_(std::move(pkey)) {}
  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  EVP_PKEY* native() const { return pkey_.get(); }

 private:
  EvpPkeyPtr pkey_;
};

// A public key used to verify signatures (cosign keys, DSSE envelopes).
class PublicKey {
 public:
  explicit PublicKey(EvpPkeyPtr pkey) : pkey_(std::move(pkey)) {}
  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  EVP_PKEY* native() const { return pkey_.get(); }

 private:
  EvpPkeyPtr pkey_;
};

// An X.509 certificate.
class Certificate {
 public:
  explicit Certificate(X509Ptr x509) : x509_(std::move(x509)) {}
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  X509* native() const { return x509_.get(); }

 private:
  X509Ptr x509_;
};

// path_or_uri: a PEM or DER private key file (unencrypted), or a URI with a scheme
// ("file:/abs/key.pem", "pkcs11:token=...;object=..."), loaded through OSSL_STORE with the
// providers from the OpenSSL configuration. Never prompts for a PIN or passphrase.
Result<PrivateKey> LoadPrivateKey(const std::string& path_or_uri);
// PEM or DER certificate file.
Result<Certificate> LoadCertificate(const std::string& path);
// A PEM or DER SubjectPublicKeyInfo ("PUBLIC KEY"), or the key of a PEM or DER certificate.
Result<PublicKey> LoadPublicKey(const std::string& path);

// Parses a certificate from PEM or DER bytes (e.g. embedded in a manifest).
Result<Certificate> ParseCertificate(std::string_view pem_or_der);
// Parses a public key from PEM or DER bytes (SubjectPublicKeyInfo, or a certificate).
Result<PublicKey> ParsePublicKey(std::string_view pem_or_der);

PublicKey PublicKeyOf(const PrivateKey& key);
PublicKey PublicKeyOf(const Certificate& cert);
// "-----BEGIN PUBLIC KEY-----..." (what `cosign verify --key` and `openssl dgst -verify` read).
std::string PublicKeyPem(const PublicKey& key);

// True when the certificate carries the public half of key (EVP_PKEY_eq).
bool KeyMatchesCertificate(const PrivateKey& key, const Certificate& cert);
bool KeyMatchesCertificate(const PublicKey& key, const Certificate& cert);

// Lowercase hex SHA-256 of the certificate's DER encoding (systemd's certificateFingerprint).
std::string CertificateFingerprintSha256(const Certificate& cert);
// One line, RFC 2253 style but in certificate order, e.g. "CN=kiln" or "C=DE, O=Acme, CN=kiln".
std::string CertificateSubject(const Certificate& cert);
std::string CertificatePem(const Certificate& cert);
std::string CertificateDer(const Certificate& cert);

}  // namespace kiln::signing
