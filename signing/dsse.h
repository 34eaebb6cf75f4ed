// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse) used to sign the
// in-toto provenance statement (OUT/NAME_VERSION.intoto.json). The signature covers the
// pre-authentication encoding PAE(payloadType, payload), never the JSON around it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::signing {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

struct DsseSignature {
  std::string keyid;
  std::string sig;  // raw signature bytes (base64-decoded)
  bool operator==(const DsseSignature&) const = default;
};

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;  // decoded bytes
  std::vector<DsseSignature> signatures;
  bool operator==(const DsseEnvelope&) const = default;
};

// "DSSEv1 <len(type)> <type> <len(payload)> <payload>", lengths in ASCII decimal bytes.
std::string DssePae(std::string_view payload_type, std::string_view payload);

// Compact JSON {"payloadType":..,"payload":<base64>,"signatures":[{"keyid":..,"sig":<base64>}]}
// signed with key (SHA-256; RSA keys give identical envelopes for identical inputs).
Result<std::string> MakeDsseEnvelope(std::string_view payload_type, std::string_view payload,
                                     const PrivateKey& key, std::string_view keyid);

// Parses an envelope (kInput errors for bad JSON, missing fields or bad base64).
Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json);

// Succeeds when at least one signature in the envelope verifies with key (kIntegrity if none).
Status VerifyDsseEnvelope(std::string_view json, const PublicKey& key);

}  // namespace kiln::signing
