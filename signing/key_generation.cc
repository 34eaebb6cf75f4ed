#include "signing/key_generation.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::signing {
namespace {

namespace fs = std::filesystem;

Result<EvpPkeyPtr> NewKey(KeyAlgorithm alg) {
  EvpPkeyPtr pkey;
  switch (alg) {
    case KeyAlgorithm::kRsa3072:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072)));
      break;
    case KeyAlgorithm::kEcP256:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
  }
  if (!pkey) return MakeError(ErrorCode::kBuild, "key generation failed" + OpenSslErrorSuffix());
  return pkey;
}

Status AddExtension(X509* x509, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(x509, ext.get(), -1) != 1)
    return MakeError(ErrorCode::kBuild, std::string("cannot add certificate extension ") +
                                            OBJ_nid2sn(nid) + OpenSslErrorSuffix());
  return OkStatus();
}

// A positive 127-bit random serial (RFC 5280: at most 20 octets, positive, unique per issuer).
Status SetRandomSerial(X509* x509) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return MakeError(ErrorCode::kBuild, "no randomness for the certificate serial" + OpenSslErrorSuffix());
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(x509, serial.get()) != 1)
    return MakeError(ErrorCode::kBuild, "cannot set certificate serial" + OpenSslErrorSuffix());
  return OkStatus();
}

Result<X509Ptr> SelfSign(EVP_PKEY* pkey, const std::string& cn, int validity_days) {
  X509Ptr x509(X509_new());
  if (!x509) return MakeError(ErrorCode::kBuild, "out of memory creating certificate");
  X509_set_version(x509.get(), X509_VERSION_3);
  KILN_TRY(SetRandomSerial(x509.get()));
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_time_adj_ex(X509_getm_notAfter(x509.get()), validity_days, 0, nullptr);
  X509_NAME* name = X509_get_subject_name(x509.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1)
    return MakeError(ErrorCode::kUsage, "invalid certificate common name '" + cn + "'" + OpenSslErrorSuffix());
  X509_set_issuer_name(x509.get(), name);
  X509_set_pubkey(x509.get(), pkey);

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  KILN_TRY(AddExtension(x509.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  KILN_TRY(AddExtension(x509.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign"));
  KILN_TRY(AddExtension(x509.get(), &ctx, NID_subject_key_identifier, "hash"));
  KILN_TRY(AddExtension(x509.get(), &ctx, NID_authority_key_identifier, "keyid:always"));

  if (X509_sign(x509.get(), pkey, EVP_sha256()) <= 0)
    return MakeError(ErrorCode::kBuild, "cannot sign certificate" + OpenSslErrorSuffix());
  return x509;
}

// Creates path exclusively with exactly `mode` and writes data; removes it on failure.
Status CreateExclusive(const fs::path& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return MakeError(errno == EEXIST ? ErrorCode::kUsage : ErrorCode::kIo,
                     "cannot create " + path.string() + ": " + std::strerror(errno) +
                         (errno == EEXIST ? " (refusing to overwrite)" : ""));
  std::string failure;
  // The umask may have removed bits (or a weird one added none): set the mode exactly.
  if (::fchmod(fd, mode) != 0) failure = std::strerror(errno);
  std::size_t done = 0;
  while (failure.empty() && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failure = std::strerror(errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (failure.empty() && ::fsync(fd) != 0) failure = std::strerror(errno);
  if (::close(fd) != 0 && failure.empty()) failure = std::strerror(errno);
  if (!failure.empty()) {
    ::unlink(path.c_str());
    return MakeError(ErrorCode::kIo, "cannot write " + path.string() + ": " + failure);
  }
  return OkStatus();
}

}  // namespace

Result<GeneratedKey> GenerateKey(KeyAlgorithm alg, const std::string& subject_cn, int validity_days) {
  if (subject_cn.empty() || subject_cn.size() > 64)
    return MakeError(ErrorCode::kUsage, "certificate common name must be 1-64 characters");
  if (validity_days <= 0)
    return MakeError(ErrorCode::kUsage, "certificate validity must be a positive number of days");
  KILN_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, NewKey(alg));
  KILN_ASSIGN_OR_RETURN(X509Ptr x509, SelfSign(pkey.get(), subject_cn, validity_days));

  BioPtr key_bio(BIO_new(BIO_s_mem()));
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), x509.get()) != 1)
    return MakeError(ErrorCode::kBuild, "cannot encode the new key as PEM" + OpenSslErrorSuffix());
  GeneratedKey out{BioContents(key_bio.get()), BioContents(cert_bio.get()),
                   PrivateKey(std::move(pkey)), Certificate(std::move(x509))};
  return out;
}

Status WriteKeyFiles(const GeneratedKey& key, const fs::path& dir, const std::string& basename) {
  if (basename.empty() || basename.find('/') != std::string::npos || basename == "." || basename == "..")
    return MakeError(ErrorCode::kUsage, "invalid key file name '" + basename + "'");
  fs::path key_path = dir / (basename + ".key");
  fs::path cert_path = dir / (basename + ".crt");
  // Check both first so that an existing certificate does not cost a freshly written key.
  struct stat st;
  for (const fs::path& p : {key_path, cert_path}) {
    if (::lstat(p.c_str(), &st) == 0)
      return MakeError(ErrorCode::kUsage, p.string() + " already exists (refusing to overwrite)");
  }
  KILN_TRY(CreateExclusive(key_path, key.private_key_pem, 0600));
  Status cert = CreateExclusive(cert_path, key.certificate_pem, 0644);
  if (!cert.ok()) {
    ::unlink(key_path.c_str());
    return cert;
  }
  return OkStatus();
}

}  // namespace kiln::signing
