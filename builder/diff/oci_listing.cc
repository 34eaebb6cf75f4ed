#include "builder/diff/oci_listing.h"

#include <archive.h>
#include <archive_entry.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/image_config.h"
#include "builder/tree/archive_read.h"

namespace kiln::diff {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using tree::ArchiveErrorText;
using tree::ArchiveReadPtr;

// "./etc/x/" -> "etc/x"; "." and "./" -> "" (the root).
std::string NormalizeEntryPath(std::string_view p) {
  while (true) {
    if (p.substr(0, 2) == "./") p.remove_prefix(2);
    else if (!p.empty() && p[0] == '/') p.remove_prefix(1);
    else break;
  }
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (p == ".") return "";
  return std::string(p);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  return dir.empty() ? !path.empty() : path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// Removes `dir`'s descendants (not `dir` itself) from a sorted map.
void EraseSubtree(std::map<std::string, FileState>& files, const std::string& dir) {
  auto it = dir.empty() ? files.upper_bound("") : files.lower_bound(dir + "/");
  while (it != files.end() && IsUnder(it->first, dir)) it = files.erase(it);
}

struct Layer {
  std::map<std::string, FileState> files;
  std::vector<std::string> whiteouts;  // paths deleted from the layers below
  std::vector<std::string> opaque;     // directories whose lower contents are hidden
  std::map<std::string, std::string> hardlinks;  // path -> target path
  std::string dpkg_status;                        // var/lib/dpkg/status when this layer has it
  bool has_dpkg_status = false;
};

Result<Layer> ReadLayer(const fs::path& blob, const std::string& what) {
  KILN_ASSIGN_OR_RETURN(ArchiveReadPtr a, tree::OpenTarFile(blob));
  Layer layer;
  archive_entry* e = nullptr;
  int rc;
  std::vector<char> buf(1 << 16);
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(e);
    std::string path = NormalizeEntryPath(raw ? raw : "");
    std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    std::string parent = path.size() > base.size() ? path.substr(0, path.size() - base.size() - 1) : "";
    if (base == ".wh..wh..opq") {
      layer.opaque.push_back(parent);
      continue;
    }
    if (base.rfind(".wh.", 0) == 0) {
      layer.whiteouts.push_back(parent.empty() ? base.substr(4) : parent + "/" + base.substr(4));
      continue;
    }
    if (const char* link = archive_entry_hardlink(e)) {
      layer.hardlinks[path] = NormalizeEntryPath(link);
      continue;
    }
    FileState st;
    st.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & 07777;
    st.uid = static_cast<std::uint32_t>(archive_entry_uid(e));
    st.gid = static_cast<std::uint32_t>(archive_entry_gid(e));
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: {
        st.type = '-';
        Sha256 h;
        const bool keep = path == "var/lib/dpkg/status";
        if (keep) layer.dpkg_status.clear();
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
          h.Update(buf.data(), static_cast<std::size_t>(n));
          st.size += static_cast<std::uint64_t>(n);
          if (keep) layer.dpkg_status.append(buf.data(), static_cast<std::size_t>(n));
        }
        if (n < 0)
          return MakeError(ErrorCode::kInput, what + ": reading " + path + ": " + ArchiveErrorText(a.get()));
        st.sha256 = ToHex(h.Finish());
        layer.has_dpkg_status |= keep;
        break;
      }
      case AE_IFDIR: st.type = 'd'; break;
      case AE_IFLNK:
        st.type = 'l';
        st.target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        st.size = st.target.size();  // as unsquashfs lists it
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        st.type = archive_entry_filetype(e) == AE_IFCHR ? 'c' : 'b';
        st.device = std::to_string(archive_entry_rdevmajor(e)) + "," + std::to_string(archive_entry_rdevminor(e));
        break;
      case AE_IFIFO: st.type = 'p'; break;
      default:
        return MakeError(ErrorCode::kInput, what + ": " + path + " has an unsupported tar entry type");
    }
    layer.files[path] = std::move(st);
  }
  if (rc != ARCHIVE_EOF) return MakeError(ErrorCode::kInput, what + ": " + ArchiveErrorText(a.get()));
  return layer;
}

// Puts a layer over the root built from the layers below it (image-spec "Applying changesets").
Status ApplyLayer(Layer layer, RootListing* root, std::string* dpkg_status, const std::string& what) {
  auto& files = root->files;
  for (const auto& dir : layer.opaque) EraseSubtree(files, dir);
  for (const auto& p : layer.whiteouts) {
    files.erase(p);
    EraseSubtree(files, p);
  }
  for (auto& [path, st] : layer.files) {
    auto old = files.find(path);
    // A non-directory replaces a directory with its subtree; a directory keeps the children.
    if (old != files.end() && old->second.type == 'd' && st.type != 'd') EraseSubtree(files, path);
    files[path] = std::move(st);
  }
  for (const auto& [path, target] : layer.hardlinks) {
    auto t = files.find(target);
    if (t == files.end() || t->second.type != '-')
      return MakeError(ErrorCode::kInput, what + ": hard link " + path + " to missing file " + target);
    files[path] = t->second;
  }
  if (layer.has_dpkg_status) *dpkg_status = std::move(layer.dpkg_status);
  return OkStatus();
}

Result<json> ReadJsonBlob(const fs::path& layout, const std::string& digest, const std::string& what) {
  KILN_ASSIGN_OR_RETURN(fs::path p, oci::BlobPath(layout, digest).WithContext(layout.string()));
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(p).WithContext(layout.string() + ": " + what));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInput, layout.string() + ": " + what + " " + digest + " is not a JSON object");
  return j;
}

// j[key] when j is an object holding a string there, else "": index, manifest and layer
// descriptors come from the layout's author, and nlohmann's value() throws on other types.
std::string StringField(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Collects the image manifests an index leads to, following nested indexes.
Status CollectManifests(const fs::path& layout, const json& index, int depth, std::vector<std::string>* out) {
  if (depth > 4) return MakeError(ErrorCode::kInput, layout.string() + ": indexes nested too deeply");
  if (!index.contains("manifests") || !index["manifests"].is_array()) return OkStatus();
  for (const auto& m : index["manifests"]) {
    if (!m.is_object()) return MakeError(ErrorCode::kInput, layout.string() + ": an index entry is not a JSON object");
    const std::string type = StringField(m, "mediaType");
    const std::string digest = StringField(m, "digest");
    if (type == oci::kMediaTypeIndex || type == "application/vnd.docker.distribution.manifest.list.v2+json") {
      KILN_ASSIGN_OR_RETURN(json nested, ReadJsonBlob(layout, digest, "index"));
      KILN_TRY(CollectManifests(layout, nested, depth + 1, out));
    } else if (m.contains("artifactType")) {
      continue;  // an SBOM or signature, not an image
    } else {
      out->push_back(digest);
    }
  }
  return OkStatus();
}

std::string Compact(const json& j) { return j.dump(); }

}  // namespace

bool LooksLikeOciLayout(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(path / "oci-layout", ec);
}

bool LooksLikeTar(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[5] = {};
  in.seekg(257);
  in.read(magic, 5);
  return in && std::memcmp(magic, "ustar", 5) == 0;
}

Result<std::map<std::string, std::string>> FlattenImageConfig(std::string_view config_json) {
  json j = json::parse(config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError(ErrorCode::kInput, "image config is not a JSON object");
  std::map<std::string, std::string> out;
  for (const char* key : {"architecture", "os", "variant", "os.version", "created", "author"})
    if (j.contains(key)) out[key] = Compact(j[key]);
  if (!j.contains("config") || !j["config"].is_object()) return out;
  for (const auto& [key, value] : j["config"].items()) {
    if (value.is_null()) continue;
    if (key == "Env" && value.is_array()) {
      for (const auto& v : value) {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        std::size_t eq = s.find('=');
        out["env." + s.substr(0, eq)] = Compact(eq == std::string::npos ? json("") : json(s.substr(eq + 1)));
      }
    } else if ((key == "Labels" || key == "Volumes" || key == "ExposedPorts") && value.is_object()) {
      const std::string prefix = key == "Labels" ? "label." : key == "Volumes" ? "volume." : "port.";
      for (const auto& [k, v] : value.items()) out[prefix + k] = Compact(v);
    } else {
      // User -> user, WorkingDir -> workingDir, Entrypoint -> entrypoint, ...
      std::string name = key;
      if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
      out[name] = Compact(value);
    }
  }
  return out;
}

Result<OciListing> ReadOciLayout(const fs::path& layout) {
  KILN_ASSIGN_OR_RETURN(std::string index_text, ReadFile(layout / "index.json").WithContext(layout.string()));
  json index = json::parse(index_text, nullptr, false);
  if (index.is_discarded() || !index.is_object())
    return MakeError(ErrorCode::kInput, (layout / "index.json").string() + " is not a JSON object");
  std::vector<std::string> manifests;
  KILN_TRY(CollectManifests(layout, index, 0, &manifests));
  if (manifests.size() != 1)
    return MakeError(ErrorCode::kInput, layout.string() + " holds " + std::to_string(manifests.size()) +
                                            " images; kiln diff compares layouts with exactly one");
  OciListing out;
  out.manifest_digest = manifests[0];
  KILN_ASSIGN_OR_RETURN(json manifest, ReadJsonBlob(layout, out.manifest_digest, "manifest"));
  if (!manifest["config"].is_object() || !manifest["layers"].is_array())
    return MakeError(ErrorCode::kInput, layout.string() + ": manifest " + out.manifest_digest + " has no config or layers");
  const std::string config_digest = StringField(manifest["config"], "digest");
  KILN_ASSIGN_OR_RETURN(fs::path config_path, oci::BlobPath(layout, config_digest).WithContext(layout.string()));
  KILN_ASSIGN_OR_RETURN(std::string config_text, ReadFile(config_path).WithContext(layout.string() + ": config"));
  KILN_ASSIGN_OR_RETURN(out.config,
                        FlattenImageConfig(config_text).WithContext(layout.string() + ": config " + config_digest));

  std::string dpkg_status;
  for (const auto& l : manifest["layers"]) {
    const std::string digest = StringField(l, "digest");
    const std::string what = layout.string() + ": layer " + digest;
    KILN_ASSIGN_OR_RETURN(fs::path blob, oci::BlobPath(layout, digest).WithContext(layout.string()));
    KILN_ASSIGN_OR_RETURN(Layer layer, ReadLayer(blob, what));
    KILN_TRY(ApplyLayer(std::move(layer), &out.root, &dpkg_status, what));
  }
  auto status = out.root.files.find("var/lib/dpkg/status");
  if (status != out.root.files.end() && status->second.type == '-' &&
      status->second.sha256 == ToHex(Sha256Of(dpkg_status))) {
    KILN_ASSIGN_OR_RETURN(out.root.packages,
                          sources::ParseDpkgStatus(dpkg_status).WithContext("var/lib/dpkg/status in " + layout.string()));
  }
  return out;
}

Result<OciListing> ReadOciArchive(const fs::path& tar, const fs::path& work_dir) {
  KILN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(work_dir, "kiln-diff-oci"));
  KILN_ASSIGN_OR_RETURN(ArchiveReadPtr a, tree::OpenTarFile(tar));
  std::error_code ec;
  fs::create_directories(scratch.path() / "blobs/sha256", ec);
  if (ec) return MakeError(ErrorCode::kIo, "creating " + (scratch.path() / "blobs/sha256").string() + ": " + ec.message());
  archive_entry* e = nullptr;
  int rc;
  std::vector<char> buf(1 << 16);
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    const std::string path = NormalizeEntryPath(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
    // Only the layout's own files, by names that cannot leave the scratch directory.
    const bool blob = path.rfind("blobs/sha256/", 0) == 0 && oci::BlobPath(scratch.path(), "sha256:" + path.substr(13)).ok();
    if (!blob && path != "index.json" && path != "oci-layout") continue;
    std::ofstream f(scratch.path() / path, std::ios::binary | std::ios::trunc);
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) f.write(buf.data(), n);
    if (n < 0) return MakeError(ErrorCode::kInput, tar.string() + ": reading " + path + ": " + ArchiveErrorText(a.get()));
    if (!f.flush()) return MakeError(ErrorCode::kIo, "writing " + (scratch.path() / path).string());
  }
  if (rc != ARCHIVE_EOF) return MakeError(ErrorCode::kInput, tar.string() + ": " + ArchiveErrorText(a.get()));
  if (!LooksLikeOciLayout(scratch.path()))
    return MakeError(ErrorCode::kInput, tar.string() + " is a tar without an OCI layout (no oci-layout file)");
  auto listing = ReadOciLayout(scratch.path());
  if (!listing.ok()) return MakeError(listing.error().code, tar.string() + ": " + listing.error().message);
  return listing;
}

}  // namespace kiln::diff
