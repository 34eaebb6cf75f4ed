// libFuzzer harness: signature containers read from artifacts made by others: the
// root-verity-sig partition JSON (verify, inspect), DSSE envelopes (attestations) and
// PKCS#7 / certificate bytes, which go through OpenSSL's decoders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signing/dsse.h"
#include "signing/keys.h"
#include "signing/verity_signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)kiln::signing::ParseVeritySignature(bytes);
  (void)kiln::signing::ParseDsseEnvelope(bytes);
  (void)kiln::signing::ParseCertificate(bytes);
  return 0;
}
