// The content-addressed download cache: every base input fetched from an http(s):// or
// file:// URL lands in <cache_dir>/blobs/sha256/<hex> only after its digest matched, and a
// hit is hashed again before it is used (a blob that no longer matches its pinned digest is
// reported, removed and fetched again), so a cached input needs no network and a poisoned
// cache changes nothing. The cache directory must be private to the user (cache_key.h). Used by the tarball and
// image sources and by the resolved-base-tree cache (which stores its tarballs as blobs).
//
// Layout (documented for `kiln cache prune`):
//   <cache_dir>/blobs/sha256/<hex>   verified content, mode 0644, never modified
//   <cache_dir>/tmp/<hex>.part       an interrupted download, resumed by the next fetch;
//                                    an flock on it serialises concurrent builds
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/common/sha256.h"

namespace kiln::sources {

struct FetchRequest {
  std::string url;
  // Expected content digest, lowercase hex. Mandatory for http/https; for file:// it may be
  // empty, and the file is then cached under its actual digest.
  std::string sha256;
};

// Network behaviour; the defaults are what builds use, tests shorten the delays.
struct FetchOptions {
  int max_attempts = 5;                                   // tries per fetch
  std::chrono::milliseconds backoff_base{500};            // delay before retry n: base * 2^(n-1)
  std::chrono::milliseconds backoff_max{8000};            // delay cap
  long connect_timeout_seconds = 30;
  long low_speed_limit_bytes = 1024;                      // abort when slower than this ...
  long low_speed_time_seconds = 60;                       // ... for this long (then retried)
  long max_redirects = 5;
};

// $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln (the CLI's default for --cache); empty when
// neither is set to an absolute path (the CLI then asks for --cache).
std::filesystem::path DefaultCacheDir();
// <cache_dir>/blobs/sha256/<hex>
std::filesystem::path BlobPath(const std::filesystem::path& cache_dir, std::string_view hex);

// Returns the path of the verified file in the cache. A cache hit touches no network.
// Errors: kInput (bad URL, missing sha256 for a remote URL, unsupported scheme), kNetwork
// (offline miss, HTTP status, connection failures after retries; message has the URL),
// kIntegrity (digest mismatch: message has URL, expected and actual digest; nothing is
// left in the cache), kIo (cache directory problems).
Result<std::filesystem::path> Fetch(const FetchRequest& request, const BuildContext& ctx,
                                    const FetchOptions& options);
Result<std::filesystem::path> Fetch(const FetchRequest& request, const BuildContext& ctx);

// Hashes a local file and, when expected_hex is non-empty, checks it (kIntegrity on a
// mismatch, naming the path and both digests). Local paths are verified in place, not copied.
Result<Digest> VerifyLocalFile(const std::filesystem::path& path, std::string_view expected_hex);

// Moves a file produced by the build (e.g. a resolved base tarball) into the cache under its
// digest and returns the blob path. The file is consumed: renamed when on the same file
// system, else copied to a temp name in the cache and removed.
Result<std::filesystem::path> AddBlob(const std::filesystem::path& file, const BuildContext& ctx);

}  // namespace kiln::sources
