// The channel's index.p7s: the index JSON inside a DER CMS/PKCS#7 SignedData (attached
// content) signed with the build key and carrying its certificate, so content and signature
// are one file, replaced by one rename.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "builder/channel/channel_index.h"
#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::channel {

// Bound on index.p7s: the JSON limit plus room for the certificate and signature.
inline constexpr std::size_t kMaxSignedIndexSize = kMaxIndexSize + 64 * 1024;

// index.p7s bytes for index (deterministic for RSA keys).
Result<std::string> SignIndex(const ChannelIndex& index, const signing::PrivateKey& key,
                              const signing::Certificate& cert);

// The index inside signed_index, when it is signed by exactly `cert` (the embedded signer
// certificate is that certificate and the signature verifies with it) and passes ParseIndex.
// Everything else is refused: kIntegrity for signature problems, kInput for a bad index.
Result<ChannelIndex> VerifyIndex(std::string_view signed_index, const signing::Certificate& cert);

// The certificate embedded in signed_index. Not a trust decision: it tells `kiln publish`
// which key signed a channel before it decides whether to accept it (VerifyIndex with it).
Result<signing::Certificate> IndexSigner(std::string_view signed_index);

}  // namespace kiln::channel
