#include "signing/dsse.h"

#include <nlohmann/json.hpp>

#include "signing/base64.h"
#include "signing/message_signature.h"

namespace kiln::signing {
namespace {

Result<std::string> StringField(const nlohmann::json& obj, const char* name, const char* where) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string())
    return MakeError(ErrorCode::kInput, std::string("DSSE envelope: ") + where + " has no string field '" +
                                            name + "'");
  return it->get<std::string>();
}

}  // namespace

std::string DssePae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

Result<std::string> MakeDsseEnvelope(std::string_view payload_type, std::string_view payload,
                                     const PrivateKey& key, std::string_view keyid) {
  KILN_ASSIGN_OR_RETURN(std::string sig, SignMessage(key, DssePae(payload_type, payload)));
  // ordered_json keeps the field order of the DSSE spec's examples.
  nlohmann::ordered_json signature;
  signature["keyid"] = std::string(keyid);
  signature["sig"] = Base64Encode(sig);
  nlohmann::ordered_json env;
  env["payloadType"] = std::string(payload_type);
  env["payload"] = Base64Encode(payload);
  env["signatures"] = nlohmann::ordered_json::array({signature});
  return env.dump();
}

Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return MakeError(ErrorCode::kInput, "DSSE envelope is not a JSON object");
  DsseEnvelope env;
  KILN_ASSIGN_OR_RETURN(env.payload_type, StringField(doc, "payloadType", "the envelope"));
  KILN_ASSIGN_OR_RETURN(std::string payload_b64, StringField(doc, "payload", "the envelope"));
  KILN_ASSIGN_OR_RETURN(env.payload,
                        std::move(Base64Decode(payload_b64)).WithContext("DSSE envelope payload"));
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array() || sigs->empty())
    return MakeError(ErrorCode::kInput, "DSSE envelope has no signatures");
  for (const auto& s : *sigs) {
    if (!s.is_object()) return MakeError(ErrorCode::kInput, "DSSE envelope: a signature is not an object");
    DsseSignature out;
    if (auto k = s.find("keyid"); k != s.end()) {
      if (!k->is_string()) return MakeError(ErrorCode::kInput, "DSSE envelope: keyid is not a string");
      out.keyid = k->get<std::string>();
    }
    KILN_ASSIGN_OR_RETURN(std::string sig_b64, StringField(s, "sig", "a signature"));
    KILN_ASSIGN_OR_RETURN(out.sig, std::move(Base64Decode(sig_b64)).WithContext("DSSE signature"));
    env.signatures.push_back(std::move(out));
  }
  return env;
}

Status VerifyDsseEnvelope(std::string_view json, const PublicKey& key) {
  KILN_ASSIGN_OR_RETURN(DsseEnvelope env, ParseDsseEnvelope(json));
  std::string pae = DssePae(env.payload_type, env.payload);
  for (const DsseSignature& s : env.signatures) {
    if (VerifyMessage(key, pae, s.sig).ok()) return OkStatus();
  }
  return MakeError(ErrorCode::kIntegrity, "no signature in the DSSE envelope verifies with the given key");
}

}  // namespace kiln::signing
