#include "builder/channel/signed_index.h"

#include "signing/pkcs7.h"

namespace kiln::channel {

Result<std::string> SignIndex(const ChannelIndex& index, const signing::PrivateKey& key,
                              const signing::Certificate& cert) {
  KILN_ASSIGN_OR_RETURN(std::string json, WriteIndexJson(index));
  return signing::SignPkcs7Attached(json, key, cert).WithContext("cannot sign the channel index");
}

Result<ChannelIndex> VerifyIndex(std::string_view signed_index, const signing::Certificate& cert) {
  KILN_ASSIGN_OR_RETURN(std::string content,
                        signing::VerifyPkcs7Attached(signed_index, cert, kMaxSignedIndexSize)
                            .WithContext("channel index signature"));
  return ParseIndex(content);
}

Result<signing::Certificate> IndexSigner(std::string_view signed_index) {
  if (signed_index.size() > kMaxSignedIndexSize)
    return MakeError(ErrorCode::kInput, "channel index is larger than " +
                                            std::to_string(kMaxSignedIndexSize) + " bytes");
  return signing::Pkcs7SignerCertificate(signed_index).WithContext("channel index");
}

}  // namespace kiln::channel
