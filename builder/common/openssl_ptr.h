// unique_ptr ownership of OpenSSL objects: the deleter template every OpenSSL handle uses
// (signing/openssl_handles.h names the rest), and the digest context common and sbom hash with.
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace kiln {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;

}  // namespace kiln
