// Turns one libFuzzer input into a set of content-addressed documents, for the harnesses of
// OCI layout and registry readers (builder/oci, builder/diff, builder/registry; header only).
// Without this, a mutated manifest could never name another blob: its digest must match.
//
// The input is split at lines "@@" into documents 0..N (at most 10). In document i, the
// tokens "@j" and "#j" (j a digit, j > i) are replaced by document j's digest
// ("sha256:<hex>") and size in bytes, documents being resolved from the last to the first.
// Document 0 is the entry point (an index.json, a tagged manifest); the others are blobs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/sha256.h"

namespace kiln::fuzz {

struct Document {
  std::string bytes;
  std::string digest;  // "sha256:<hex>"
};

inline std::vector<Document> SplitDocuments(const std::uint8_t* data, std::size_t size) {
  constexpr std::string_view kSeparator = "\n@@\n";
  constexpr std::size_t kMaxDocuments = 10;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<Document> docs;
  while (docs.size() + 1 < kMaxDocuments) {
    std::size_t at = in.find(kSeparator);
    if (at == std::string_view::npos) break;
    docs.push_back({std::string(in.substr(0, at)), {}});
    in.remove_prefix(at + kSeparator.size());
  }
  docs.push_back({std::string(in), {}});
  for (std::size_t i = docs.size(); i-- > 0;) {
    std::string& s = docs[i].bytes;
    std::string out;
    out.reserve(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) {
      const bool token = (s[k] == '@' || s[k] == '#') && k + 1 < s.size() && s[k + 1] >= '0' && s[k + 1] <= '9';
      const std::size_t j = token ? static_cast<std::size_t>(s[k + 1] - '0') : 0;
      if (token && j > i && j < docs.size()) {
        out += s[k] == '@' ? docs[j].digest : std::to_string(docs[j].bytes.size());
        ++k;
      } else {
        out += s[k];
      }
    }
    s = std::move(out);
    docs[i].digest = "sha256:" + ToHex(Sha256Of(s));
  }
  return docs;
}

// Replaces dir's content by an OCI layout: oci-layout, index.json = document 0, and every
// other document as a blob under its digest.
inline void WriteLayout(const std::filesystem::path& dir, const std::vector<Document>& docs) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) std::abort();
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  std::ofstream(dir / "index.json", std::ios::binary) << docs[0].bytes;
  for (std::size_t i = 1; i < docs.size(); ++i)
    std::ofstream(dir / "blobs" / "sha256" / docs[i].digest.substr(7), std::ios::binary) << docs[i].bytes;
}

}  // namespace kiln::fuzz
