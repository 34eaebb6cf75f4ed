#include "signing/keys.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ui.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::signing {
namespace {

EvpPkeyPtr RefKey(EVP_PKEY* p) {
  if (p) EVP_PKEY_up_ref(p);
  return EvpPkeyPtr(p);
}

// Refuses instead of prompting: a build must never block on a terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool LooksLikePem(std::string_view data) {
  return data.find("-----BEGIN ") != std::string_view::npos;
}

// "scheme:rest" where scheme is RFC 3986 (letter, then letters, digits, + - .), at least
// two characters so that "C:" style paths are not mistaken for URIs.
bool LooksLikeUri(const std::string& s) {
  std::size_t colon = s.find(':');
  if (colon == std::string::npos || colon < 2) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

Result<PrivateKey> ParsePrivateKey(std::string_view data, const std::string& where) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(data);
  EVP_PKEY* raw = nullptr;
  if (LooksLikePem(data)) {
    raw = PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, NoPassphrase, nullptr, nullptr, nullptr);
  } else {
    raw = d2i_PrivateKey_ex_bio(bio.get(), nullptr, nullptr, nullptr);
  }
  EvpPkeyPtr pkey(raw);
  if (!pkey) {
    std::string why = TakeOpenSslErrors();
    if (data.find("ENCRYPTED") != std::string_view::npos)
      return MakeError(ErrorCode::kInput, "private key " + where +
                                              " is encrypted; kiln does not prompt for passphrases: "
                                              "decrypt it or use a provider URI");
    return MakeError(ErrorCode::kInput, "cannot parse private key " + where +
                                            (why.empty() ? "" : " (" + why + ")"));
  }
  return PrivateKey(std::move(pkey));
}

// RFC 7512 pkcs11 URIs may carry the PIN ("pin-value=..."): never put it in a message.
std::string RedactUri(std::string uri) {
  const std::string attr = "pin-value=";
  for (std::size_t at = uri.find(attr); at != std::string::npos; at = uri.find(attr, at + 1)) {
    std::size_t start = at + attr.size();
    std::size_t end = uri.find_first_of(";&?", start);
    uri.replace(start, (end == std::string::npos ? uri.size() : end) - start, "***");
  }
  return uri;
}

Result<PrivateKey> LoadPrivateKeyFromStore(const std::string& uri_with_secrets) {
  ERR_clear_error();
  const char* uri_c = uri_with_secrets.c_str();
  const std::string uri = RedactUri(uri_with_secrets);
  OsslStoreCtxPtr ctx(
      OSSL_STORE_open_ex(uri_c, nullptr, nullptr, UI_null(), nullptr, nullptr, nullptr, nullptr));
  if (!ctx)
    return MakeError(ErrorCode::kInput, "cannot open key URI " + uri +
                                            " (is an OpenSSL provider configured for it?)" +
                                            OpenSslErrorSuffix());
  OSSL_STORE_expect(ctx.get(), OSSL_STORE_INFO_PKEY);
  while (!OSSL_STORE_eof(ctx.get())) {
    OsslStoreInfoPtr info(OSSL_STORE_load(ctx.get()));
    if (!info) {
      if (OSSL_STORE_error(ctx.get())) break;
      continue;
    }
    if (OSSL_STORE_INFO_get_type(info.get()) == OSSL_STORE_INFO_PKEY) {
      EvpPkeyPtr pkey(OSSL_STORE_INFO_get1_PKEY(info.get()));
      if (pkey) return PrivateKey(std::move(pkey));
    }
  }
  return MakeError(ErrorCode::kInput, "no private key found at " + uri + OpenSslErrorSuffix());
}

// Like ssh: a private key others could read (or replace) is refused, with the fix.
Status CheckKeyFilePermissions(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return OkStatus();  // ReadFile reports the error
  const unsigned mode = static_cast<unsigned>(st.st_mode) & 07777;
  if (!S_ISREG(st.st_mode) || (mode & 077) == 0) return OkStatus();
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode);
  return MakeError(ErrorCode::kUsage, std::string("permissions ") + octal + " for '" + path +
                                          "' are too open; run chmod 600 " + path);
}

}  // namespace

PrivateKey::PrivateKey(const PrivateKey& other) : pkey_(RefKey(other.pkey_.get())) {}
PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
  if (this != &other) pkey_ = RefKey(other.pkey_.get());
  return *this;
}
PublicKey::PublicKey(const PublicKey& other) : pkey_(RefKey(other.pkey_.get())) {}
PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) pkey_ = RefKey(other.pkey_.get());
  return *this;
}
Certificate::Certificate(const Certificate& other) : x509_(other.x509_.get()) {
  if (x509_) X509_up_ref(x509_.get());
}
Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    if (other.x509_) X509_up_ref(other.x509_.get());
    x509_.reset(other.x509_.get());
  }
  return *this;
}

Result<PrivateKey> LoadPrivateKey(const std::string& path_or_uri) {
  std::error_code ec;
  if (LooksLikeUri(path_or_uri) && !std::filesystem::exists(path_or_uri, ec))
    return LoadPrivateKeyFromStore(path_or_uri);
  KILN_TRY(CheckKeyFilePermissions(path_or_uri));
  KILN_ASSIGN_OR_RETURN(std::string data, ReadFile(path_or_uri));
  return ParsePrivateKey(data, path_or_uri);
}

Result<Certificate> ParseCertificate(std::string_view data) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(data);
  X509Ptr x509(LooksLikePem(data) ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                  : d2i_X509_bio(bio.get(), nullptr));
  if (!x509)
    return MakeError(ErrorCode::kInput, "not a PEM or DER X.509 certificate" + OpenSslErrorSuffix());
  return Certificate(std::move(x509));
}

Result<Certificate> LoadCertificate(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return std::move(ParseCertificate(data)).WithContext(path);
}

Result<PublicKey> ParsePublicKey(std::string_view data) {
  ERR_clear_error();
  bool pem = LooksLikePem(data);
  if (pem && data.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    KILN_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(data));
    return PublicKeyOf(cert);
  }
  BioPtr bio = MemoryBio(data);
  EvpPkeyPtr pkey(pem ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                      : d2i_PUBKEY_bio(bio.get(), nullptr));
  if (pkey) return PublicKey(std::move(pkey));
  if (!pem) {  // DER: maybe a certificate
    ERR_clear_error();
    BioPtr again = MemoryBio(data);
    X509Ptr x509(d2i_X509_bio(again.get(), nullptr));
    if (x509) return PublicKeyOf(Certificate(std::move(x509)));
  }
  return MakeError(ErrorCode::kInput,
                   "not a PEM or DER public key or certificate" + OpenSslErrorSuffix());
}

Result<PublicKey> LoadPublicKey(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return std::move(ParsePublicKey(data)).WithContext(path);
}

PublicKey PublicKeyOf(const PrivateKey& key) { return PublicKey(RefKey(key.native())); }

PublicKey PublicKeyOf(const Certificate& cert) {
  return PublicKey(RefKey(X509_get0_pubkey(cert.native())));
}

std::string PublicKeyPem(const PublicKey& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key.native());
  return BioContents(bio.get());
}

bool KeyMatchesCertificate(const PrivateKey& key, const Certificate& cert) {
  return KeyMatchesCertificate(PublicKeyOf(key), cert);
}

bool KeyMatchesCertificate(const PublicKey& key, const Certificate& cert) {
  EVP_PKEY* cert_key = X509_get0_pubkey(cert.native());
  bool eq = cert_key != nullptr && key.native() != nullptr && EVP_PKEY_eq(cert_key, key.native()) == 1;
  ERR_clear_error();  // a type mismatch (RSA vs EC) leaves an error behind
  return eq;
}

std::string CertificateDer(const Certificate& cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.native(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string CertificateFingerprintSha256(const Certificate& cert) {
  return ToHex(Sha256Of(CertificateDer(cert)));
}

std::string CertificateSubject(const Certificate& cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // XN_FLAG_ONELINE without the spaces around '=', and UTF-8 shown as UTF-8.
  unsigned long flags = (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) |
                        ASN1_STRFLGS_UTF8_CONVERT;
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert.native()), 0, flags);
  return BioContents(bio.get());
}

std::string CertificatePem(const Certificate& cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.native());
  return BioContents(bio.get());
}

}  // namespace kiln::signing
