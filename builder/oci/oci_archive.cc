#include "builder/oci/oci_archive.h"

#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/oci/byte_sink.h"
#include "builder/oci/image_config.h"
#include "builder/oci/tar_writer.h"

namespace kiln::oci {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct DockerImage {
  std::string config;               // "blobs/sha256/<hex>"
  std::vector<std::string> layers;  // likewise
  std::vector<std::string> repo_tags;
};

std::string BlobMember(const std::string& digest) {
  return "blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

// Reads index.json and each image manifest it lists to describe them the docker way.
Result<std::vector<DockerImage>> ReadImages(const fs::path& layout_dir) {
  KILN_ASSIGN_OR_RETURN(std::string index_text, ReadFile(layout_dir / "index.json"));
  json index = json::parse(index_text, nullptr, false);
  if (index.is_discarded() || !index.is_object() || !index.contains("manifests") ||
      !index["manifests"].is_array())
    return MakeError(ErrorCode::kInput, (layout_dir / "index.json").string() + " is not an OCI index");
  std::vector<DockerImage> images;
  for (const json& entry : index["manifests"]) {
    if (!entry.is_object() || !entry.contains("digest") || !entry["digest"].is_string())
      return MakeError(ErrorCode::kInput, (layout_dir / "index.json").string() + ": entry without digest");
    if (entry.value("mediaType", "") != kMediaTypeManifest) continue;  // docker reads images only
    const std::string digest = entry["digest"].get<std::string>();
    KILN_ASSIGN_OR_RETURN(fs::path path, BlobPath(layout_dir, digest));
    KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    json m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("config") || !m["config"].is_object() ||
        !m["config"].contains("digest") || !m["config"]["digest"].is_string() || !m.contains("layers") ||
        !m["layers"].is_array())
      return MakeError(ErrorCode::kInput, "manifest " + path.string() + " is not an OCI image manifest");
    DockerImage image;
    image.config = BlobMember(m["config"]["digest"].get<std::string>());
    for (const json& l : m["layers"]) {
      if (!l.is_object() || !l.contains("digest") || !l["digest"].is_string())
        return MakeError(ErrorCode::kInput, "manifest " + path.string() + ": layer without digest");
      image.layers.push_back(BlobMember(l["digest"].get<std::string>()));
    }
    if (entry.contains("annotations") && entry["annotations"].is_object()) {
      std::string name = entry["annotations"].value(kAnnotationImageName, "");
      constexpr std::string_view kLibrary = "docker.io/library/";
      if (name.rfind(kLibrary, 0) == 0) name = name.substr(kLibrary.size());
      if (!name.empty()) image.repo_tags.push_back(name);
    }
    images.push_back(std::move(image));
  }
  if (images.empty())
    return MakeError(ErrorCode::kInput, (layout_dir / "index.json").string() + " lists no image manifest");
  return images;
}

std::string DockerManifestJson(const std::vector<DockerImage>& images) {
  json list = json::array();
  for (const auto& i : images)
    list.push_back(json{{"Config", i.config}, {"RepoTags", i.repo_tags}, {"Layers", i.layers}});
  return list.dump();
}

TarHeader Entry(std::string path, TarType type, std::uint64_t size = 0) {
  TarHeader h;
  h.path = std::move(path);
  h.type = type;
  h.mode = type == TarType::kDirectory ? 0755 : 0644;
  h.size = size;
  return h;  // uid/gid 0, mtime 0
}

Status WriteMember(TarWriter& tar, const std::string& name, std::string_view data) {
  KILN_TRY(tar.WriteHeader(Entry(name, TarType::kFile, data.size())));
  return tar.WriteData(data);
}

Status WriteArchive(const fs::path& layout_dir, const std::string& docker_manifest, ByteSink& out) {
  KILN_ASSIGN_OR_RETURN(std::string index, ReadFile(layout_dir / "index.json"));
  KILN_ASSIGN_OR_RETURN(std::string layout, ReadFile(layout_dir / "oci-layout"));
  // Every stored blob (names are digests); leftovers of an interrupted write are not blobs.
  std::vector<std::string> blobs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layout_dir / "blobs" / "sha256", ec)) {
    std::string name = e.path().filename().string();
    if (IsSha256Hex(name) && e.is_regular_file()) blobs.push_back(name);
  }
  if (ec) return MakeError(ErrorCode::kInput, "cannot list " + (layout_dir / "blobs/sha256").string() + ": " + ec.message());
  std::sort(blobs.begin(), blobs.end());

  TarWriter tar(out);
  KILN_TRY(tar.WriteHeader(Entry("blobs", TarType::kDirectory)));
  KILN_TRY(tar.WriteHeader(Entry("blobs/sha256", TarType::kDirectory)));
  for (const auto& b : blobs) {
    fs::path p = layout_dir / "blobs" / "sha256" / b;
    auto size = fs::file_size(p, ec);
    if (ec) return MakeError(ErrorCode::kInput, "cannot stat " + p.string() + ": " + ec.message());
    KILN_TRY(tar.WriteHeader(Entry("blobs/sha256/" + b, TarType::kFile, size)));
    KILN_TRY(tar.WriteFileContents(p));
  }
  KILN_TRY(WriteMember(tar, "index.json", index));
  KILN_TRY(WriteMember(tar, "manifest.json", docker_manifest));
  KILN_TRY(WriteMember(tar, "oci-layout", layout));
  return tar.Finish();
}

}  // namespace

Status WriteOciArchive(const fs::path& layout_dir, const fs::path& out_tar) {
  const std::string where = "OCI archive " + out_tar.string();
  auto images = ReadImages(layout_dir);
  if (!images.ok()) return std::move(images).WithContext(where).error();
  const std::string docker_manifest = DockerManifestJson(*images);

  fs::path tmp = out_tar;
  tmp += ".tmp-" + std::to_string(::getpid());
  Status status = [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(FileSink file, FileSink::Create(tmp));
    KILN_TRY(WriteArchive(layout_dir, docker_manifest, file));
    return file.Close();
  }();
  std::error_code ec;
  if (status.ok()) {
    fs::rename(tmp, out_tar, ec);
    if (ec) status = MakeError(ErrorCode::kIo, "cannot rename into place: " + ec.message());
  }
  if (!status.ok()) {
    fs::remove(tmp, ec);
    return std::move(status).WithContext(where);
  }
  return OkStatus();
}

}  // namespace kiln::oci
