// `formats = ["oci-archive"]`: an OCI layout packed as one tar, with a docker-style
// manifest.json beside index.json (the shape `docker save` has written since Docker 25), so
// `docker load`, `podman load` and `skopeo ... oci-archive:FILE` all accept it.
// Deterministic: entries in byte order, parents first, uid/gid 0, modes 0644/0755,
// mtime 0. Used by the pipeline after WriteOciLayout.
#pragma once

#include <filesystem>

#include "builder/common/result.h"

namespace kiln::oci {

// Packs layout_dir (as written by WriteOciLayout) into out_tar, written under a temporary
// name and renamed into place. RepoTags come from the index's io.containerd.image.name
// annotation ("docker.io/library/NAME:TAG" -> "NAME:TAG"); without it the image loads untagged.
Status WriteOciArchive(const std::filesystem::path& layout_dir, const std::filesystem::path& out_tar);

}  // namespace kiln::oci
