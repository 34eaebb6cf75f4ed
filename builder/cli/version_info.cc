#include "builder/cli/version_info.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <zstd.h>

#include "builder/pipeline/pipeline.h"
#include "kiln_git_revision.h"  // generated at build time by cmake/GitRevision.cmake

// Set by cmake/Version.cmake for this file only.
#ifndef KILN_SQUASHFS_VERSION
#define KILN_SQUASHFS_VERSION "unknown"
#endif

namespace kiln::cli {

std::string VersionText() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  std::string text = std::string("kiln ") + pipeline::KilnVersion() + " (git " + KILN_GIT_REVISION + ")\n";
  // libsquashfs has no run-time version query: the version kiln was compiled against.
  text += std::string("libsquashfs ") + KILN_SQUASHFS_VERSION + "\n";
  text += std::string("zstd ") + ZSTD_versionString() + "\n";
  text += std::string(OpenSSL_version(OPENSSL_VERSION)) + "\n";
  text += std::string("libcurl ") + (curl && curl->version ? curl->version : "unknown");
  return text;
}

}  // namespace kiln::cli
