// The root-verity-sig partition content written by systemd-repart and read by
// systemd-dissect/systemd-veritysetup: compact JSON
// {"rootHash":"<hex>","certificateFingerprint":"<sha256 of DER cert, hex>","signature":"<base64 DER PKCS#7>"}
// NUL padded to a multiple of 4096 bytes. Used by the disk stage and `kiln verify`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "signing/keys.h"

namespace kiln::signing {

// systemd-repart reserves 16 KiB for the signature partition (VERITY_SIG_SIZE).
inline constexpr std::size_t kVeritySignaturePartitionSize = 16 * 1024;

struct VeritySignature {
  std::string root_hash_hex;           // lowercase hex, as signed
  std::string certificate_fingerprint; // lowercase hex sha256 of the signer's DER certificate
  std::string signature_der;           // detached PKCS#7 over root_hash_hex
  bool operator==(const VeritySignature&) const = default;
};

// Exactly {"rootHash":..,"certificateFingerprint":..,"signature":..} in systemd's key order.
// root_hash_hex must be non-empty lowercase hex of even length.
Result<std::string> MakeVeritySignatureJson(const std::string& root_hash_hex, const Certificate& cert,
                                            std::string_view pkcs7_der);

// json followed by NULs up to the next multiple of 4096 bytes (at least one block).
std::string PadVeritySignature(std::string json);

// Parses a partition's bytes: trailing NUL padding stripped, then the JSON validated
// (hex root hash, 64-hex fingerprint, base64 signature). kInput errors.
Result<VeritySignature> ParseVeritySignature(std::string_view partition_bytes);

// The fingerprint names cert and the PKCS#7 verifies over the root hash with it (kIntegrity).
Status VerifyVeritySignature(const VeritySignature& sig, const Certificate& cert);

}  // namespace kiln::signing
