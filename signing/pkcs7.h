// Detached PKCS#7 (CMS SignedData) signatures, the format of dm-verity root-hash signatures:
// the kernel's dm-verity, systemd's root-verity-sig partition and `openssl smime -verify`
// all read it. Used by the disk stage (signing the root hash) and by `kiln verify`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::signing {

// DER PKCS#7 over data, made as systemd-repart does:
// PKCS7_sign(cert, key, NULL, data, PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_BINARY).
// No signed attributes (so no signing time), the signer's certificate embedded. With an RSA
// key the output is a pure function of (data, key, cert): two calls give identical bytes.
Result<std::string> SignPkcs7Detached(std::string_view data, const PrivateKey& key,
                                      const Certificate& cert);

// Succeeds only if der is a well-formed detached PKCS#7 whose every signer is `cert` and
// whose signatures are valid over data. Certificates embedded in the PKCS#7 are ignored
// (the caller's certificate is the trust decision) and so are validity dates and chains:
// an image signed last year must still verify. Failures are kIntegrity errors:
// "malformed PKCS#7 ..." or "signature does not verify with certificate <fingerprint>".
Status VerifyPkcs7Detached(std::string_view data, std::string_view der, const Certificate& cert);

// DER CMS/PKCS#7 SignedData that embeds data (attached content), made like
// SignPkcs7Detached but without PKCS7_DETACHED: one file carries content, signature and the
// signer certificate, so replacing it is one rename (the release channel's index.p7s).
// `openssl cms -verify -inform DER -binary` prints the content.
Result<std::string> SignPkcs7Attached(std::string_view data, const PrivateKey& key,
                                      const Certificate& cert);

// Returns the embedded content of der when it is a well-formed attached PKCS#7 SignedData
// whose every signer is `cert`, that embeds exactly that certificate (byte for byte) and whose
// signatures verify. The pinned certificate is the trust decision (no chain, no dates).
// der larger than max_der_size is refused before it is decoded. kIntegrity errors.
Result<std::string> VerifyPkcs7Attached(std::string_view der, const Certificate& cert,
                                        std::size_t max_der_size);

// The first certificate embedded in a PKCS#7 (the signer's, as SignPkcs7Detached embeds it),
// for display only (`kiln inspect`): it is not a trust decision.
Result<Certificate> Pkcs7SignerCertificate(std::string_view der);

}  // namespace kiln::signing
