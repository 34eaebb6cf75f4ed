#include "builder/oci/image_config.h"

#include <nlohmann/json.hpp>

#include "builder/common/time_format.h"

namespace kiln::oci {

using nlohmann::json;

namespace {

// nlohmann::json objects are std::map-backed: keys come out in byte order. dump() throws on
// invalid UTF-8; the library must not throw, so that becomes an error.
Result<std::string> Dump(const json& j, const char* what) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kRecipe, std::string("cannot write the OCI ") + what + ": " + e.what() +
                                             " (container settings must be UTF-8)");
  }
}

json DescriptorJson(const Descriptor& d) {
  return json{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

}  // namespace

std::string DockerTag(std::string_view version) {
  std::string tag;
  for (char c : version.substr(0, 128)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    tag += ok ? c : '_';
  }
  if (!tag.empty() && (tag[0] == '.' || tag[0] == '-')) tag[0] = '_';
  return tag.empty() ? "latest" : tag;
}

Result<std::string> BuildConfigJson(const OciOptions& opts, const std::vector<LayerBlob>& layers,
                                    const std::vector<std::string>& layer_names) {
  const std::string created = FormatRfc3339(opts.source_date_epoch);
  json config = json::object();
  if (const auto& c = opts.container) {
    if (!c->entrypoint.empty()) config["Entrypoint"] = c->entrypoint;
    if (!c->cmd.empty()) config["Cmd"] = c->cmd;
    if (!c->env.empty()) config["Env"] = c->env;
    if (!c->user.empty()) config["User"] = c->user;
    if (!c->workdir.empty()) config["WorkingDir"] = c->workdir;
    if (!c->ports.empty()) {
      json ports = json::object();
      for (const auto& p : c->ports) ports[p] = json::object();
      config["ExposedPorts"] = ports;
    }
    if (!c->labels.empty()) config["Labels"] = c->labels;
  }
  // State lives in a volume in a container, as it lives on the data partition on disk.
  if (!opts.data_mountpoint.empty()) config["Volumes"] = json{{opts.data_mountpoint, json::object()}};

  json diff_ids = json::array();
  json history = json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    diff_ids.push_back(layers[i].diff_id);
    json h{{"created", created}, {"created_by", "kiln"}};
    if (i < layer_names.size()) h["comment"] = "layer: " + layer_names[i];
    history.push_back(std::move(h));
  }
  json j{{"architecture", opts.architecture},
         {"os", "linux"},
         {"created", created},
         {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
         {"history", history}};
  if (!config.empty()) j["config"] = config;
  return Dump(j, "image config");
}

Result<std::string> BuildManifestJson(const Descriptor& config, const std::vector<LayerBlob>& layers) {
  json layer_list = json::array();
  for (const auto& l : layers) layer_list.push_back(DescriptorJson(l.descriptor));
  json j{{"schemaVersion", 2},
         {"mediaType", kMediaTypeManifest},
         {"config", DescriptorJson(config)},
         {"layers", layer_list}};
  return Dump(j, "image manifest");
}

Result<std::string> BuildIndexJson(const Descriptor& manifest, const OciOptions& opts) {
  json entry = DescriptorJson(manifest);
  entry["platform"] = json{{"architecture", opts.architecture}, {"os", "linux"}};
  json annotations{{kAnnotationRefName, opts.version}};
  if (!opts.name.empty())
    annotations[kAnnotationImageName] = "docker.io/library/" + opts.name + ":" + DockerTag(opts.version);
  entry["annotations"] = annotations;
  json j{{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array({entry})}};
  return Dump(j, "image index");
}

}  // namespace kiln::oci
