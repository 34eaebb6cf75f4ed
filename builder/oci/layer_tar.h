// OCI layer tar streams written straight from kiln's file tree (no extraction to disk):
// entries in FileTree::Walk order (parents first, siblings in byte order), numeric owners,
// the node's (already clamped) mtime, xattrs, device nodes, fifos and hard links.
//
// Layer modes. "single": one layer holding the whole tree. "per-source": one layer per
// origin (base, overlay[0], overlay[1], ..., recipe, then any other origin by name), each
// holding the nodes of the FINAL tree that this origin put there, plus their parent
// directories (with their final metadata). Because every layer is a projection of the
// final tree, nothing a later layer could need to delete is ever in an earlier one, so no
// whiteouts are needed: a path a later source replaced or removed simply is not in the
// earlier layer. The price is that a base layer only equals the base input when no later
// source touched it. Hard-link groups go whole into the layer of their latest member, since
// a tar hard link must name an entry earlier in the same stream.
//
// Used by layout.cc.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/oci/byte_sink.h"
#include "builder/tree/file_tree.h"

namespace kiln::oci {

enum class LayerMode { kSingle, kPerSource };
// The recipe's [container] layers (parsed by the recipe parser).

struct LayerPlan {
  // One name per layer, bottom first: "rootfs" for single, the origin for per-source.
  std::vector<std::string> names;
  // per-source: the layer of every node (the root excluded); empty for single.
  std::map<std::string, std::size_t> layer_of;
};

// Decides which node goes into which layer. Layers that would be empty are dropped.
Result<LayerPlan> PlanLayers(const tree::FileTree& tree, LayerMode mode);

// Writes layer `index` of the plan as a tar stream. Sockets are skipped (tar has no type
// for them); a name starting with ".wh." is an error (it would read as an OCI whiteout).
Status WriteLayerTar(const tree::FileTree& tree, const LayerPlan& plan, std::size_t index,
                     ByteSink& out);

// The whole tree as one tar (same as layer 0 of a single-layer plan).
Status WriteTreeTar(const tree::FileTree& tree, ByteSink& out);

}  // namespace kiln::oci
