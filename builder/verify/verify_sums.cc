#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "builder/common/confined_file.h"
#include "builder/verify/verify.h"

namespace kiln::verify {

void CheckSha256Sums(int dir_fd, const std::map<std::string, std::string>& covered, VerifyReport& report,
                     const std::map<std::string, std::string>& others) {
  struct stat st {};
  if (::fstatat(dir_fd, "SHA256SUMS", &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
    report.NotCovered("SHA256SUMS", "absent; the signed manifest covers the artifacts");
    return;
  }
  auto text = ReadConfined(dir_fd, "SHA256SUMS", manifest::kMaxSha256SumsSize);
  if (!text.ok()) {
    report.Fail("SHA256SUMS", text.error().message);
    return;
  }
  auto sums = manifest::ParseSha256Sums(*text);
  if (!sums.ok()) {
    report.Fail("SHA256SUMS", sums.error().message);
    return;
  }
  std::size_t line = 0, of_others = 0;
  for (const auto& s : *sums) {
    ++line;
    auto it = covered.find(s.name);
    if (it == covered.end()) {
      if (auto o = others.find(s.name); o != others.end() && o->second == s.sha256) {
        ++of_others;
        continue;
      }
      report.Fail("SHA256SUMS", "entry " + std::to_string(line) + " names " + s.name +
                                    ", which no signed manifest lists");
      return;
    }
    if (it->second != s.sha256) {
      report.Fail("SHA256SUMS", s.name + ": digest differs from the signed manifest's");
      return;
    }
  }
  report.Pass("SHA256SUMS", std::to_string(sums->size() - of_others) + " entries, each a file the signed manifest covers");
  if (of_others)
    report.NotCovered("SHA256SUMS of other builds", std::to_string(of_others) +
                                                         " entries list other builds' files (verify the directory to check them)");
}

}  // namespace kiln::verify
