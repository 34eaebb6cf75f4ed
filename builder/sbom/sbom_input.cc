#include "builder/sbom/sbom_input.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "builder/common/openssl_ptr.h"
#include "builder/common/sha256.h"
#include "builder/tree/content_reader.h"

namespace kiln::sbom {
namespace {

// SHA-256 and SHA-1 in one pass over the bytes.
class DualHasher {
 public:
  DualHasher() : sha1_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(sha1_.get(), EVP_sha1(), nullptr); }
  void Update(const void* data, std::size_t n) {
    sha256_.Update(data, n);
    EVP_DigestUpdate(sha1_.get(), data, n);
  }
  void Finish(SbomFile* f) {
    f->sha256 = ToHex(sha256_.Finish());
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    EVP_DigestFinal_ex(sha1_.get(), md.data(), &len);
    f->sha1 = ToHex(std::span<const std::uint8_t>(md.data(), len));
  }

 private:
  Sha256 sha256_;
  EvpMdCtxPtr sha1_;
};

Status HashHostFile(const tree::FileContent& content, SbomFile* f) {
  KILN_ASSIGN_OR_RETURN(tree::ContentReader reader, tree::ContentReader::Open(content));
  DualHasher h;
  std::array<char, 1 << 16> buf{};
  std::uint64_t total = 0;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::size_t n, reader.Read(buf.data(), buf.size()));
    if (n == 0) break;
    h.Update(buf.data(), n);
    total += n;
  }
  h.Finish(f);
  f->size = total;
  return OkStatus();
}

}  // namespace

Result<std::vector<SbomFile>> FilesFromTree(const tree::FileTree& tree) {
  std::vector<SbomFile> files;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.origin.empty() || node.origin == "base") continue;
    const tree::FileNode* file = &node;
    if (node.type == tree::NodeType::kHardLink) {
      file = tree.Find(node.target);
      if (file == nullptr)
        return MakeError(ErrorCode::kInput, "hard link " + path + " points at missing " + node.target);
    }
    if (file->type != tree::NodeType::kFile) continue;
    SbomFile f{path, "", "", file->content.size, node.origin};
    if (file->content.is_inline) {
      DualHasher h;
      h.Update(file->content.inline_data.data(), file->content.inline_data.size());
      h.Finish(&f);
      f.size = file->content.inline_data.size();
    } else {
      KILN_TRY(HashHostFile(file->content, &f).WithContext("hashing " + path));
    }
    files.push_back(std::move(f));
  }
  // nodes() is a std::map: already sorted by path.
  return files;
}

std::string PurlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string DebianPurl(const SbomPackage& p) {
  std::string purl = "pkg:deb/debian/" + PurlEncode(p.name) + "@" + PurlEncode(p.version);
  if (!p.architecture.empty()) purl += "?arch=" + PurlEncode(p.architecture);
  return purl;
}

}  // namespace kiln::sbom
