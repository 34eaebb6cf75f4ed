// Owning handles for the OpenSSL objects the signing library uses (unique_ptr + deleter), and
// the one place OpenSSL's error queue is turned into message text. Used by every file in
// signing/; no raw OpenSSL pointer outlives the statement that made it.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "builder/common/openssl_ptr.h"

namespace kiln::signing {

// OpenSslDeleter and EvpMdCtxPtr come from builder/common/openssl_ptr.h.

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OpenSslDeleter<PKCS7_free>>;
using OsslStoreCtxPtr = std::unique_ptr<OSSL_STORE_CTX, OpenSslDeleter<OSSL_STORE_close>>;
using OsslStoreInfoPtr = std::unique_ptr<OSSL_STORE_INFO, OpenSslDeleter<OSSL_STORE_INFO_free>>;

// STACK_OF(X509) that does not own its certificates (they stay owned by their Certificate).
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// A read-only memory BIO over bytes that outlive it.
BioPtr MemoryBio(std::string_view data);
// Everything written to a memory BIO so far.
std::string BioContents(BIO* bio);

// Drains OpenSSL's thread-local error queue into "reason; reason" (empty when the queue is
// empty). OpenSSL error strings name routines and reasons, never key material.
std::string TakeOpenSslErrors();
// " (reason; reason)" or "" — for appending to a kiln message.
std::string OpenSslErrorSuffix();

}  // namespace kiln::signing
