#include "signing/openssl_handles.h"

#include <openssl/err.h>

#include <climits>

namespace kiln::signing {

BioPtr MemoryBio(std::string_view data) {
  // BIO_new_mem_buf takes an int length; callers never hand it more than a few MiB.
  int len = data.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(data.size());
  return BioPtr(BIO_new_mem_buf(data.data(), len));
}

std::string BioContents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  if (n <= 0 || p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(n));
}

std::string TakeOpenSslErrors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason ? reason : buf;
  }
  return out;
}

std::string OpenSslErrorSuffix() {
  std::string e = TakeOpenSslErrors();
  return e.empty() ? std::string() : " (" + e + ")";
}

}  // namespace kiln::signing
