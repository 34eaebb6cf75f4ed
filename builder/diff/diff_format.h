// Renders an ImageDiff for `kiln diff`: text for a reviewer, JSON for scripts.
#pragma once

#include <string>

#include "builder/diff/image_diff.h"

namespace kiln::diff {

// {"a","b","kindA","kindB","identical",
//  "packages":{"added":[{name,architecture,version}],"removed":[..],"upgraded":[{name,architecture,from,to}]},
//  "files":[{"path","change":"added|removed|changed","fields":[{"field","old","new"}],
//            "old":{type,mode,uid,gid,size,sha256?,target?,device?},"new":{..}}],
//  "partitions":[{"name","change","fields":[..]}], "config":[{"field","old","new"}] (OCI; "" = absent),
//  "identity":["..."]}; pretty, newline-terminated.
std::string DiffToJson(const ImageDiff& d);
// One line per change ("~ /etc/greeting: content 6 -> 8 bytes"), grouped by section.
std::string DiffToText(const ImageDiff& d);

}  // namespace kiln::diff
