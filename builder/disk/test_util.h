// Test helpers for the disk stage's tests: run an independent judge (sfdisk, e2fsck,
// dumpe2fs, debugfs, fsck.vfat, mtools, qemu-img, openssl) and make sparse scratch files.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"

namespace kiln::disk::testing {

// Runs argv; returns stdout and records a test failure (with stderr) on a non-zero exit.
inline std::string RunOrFail(std::vector<std::string> argv, std::string stdin_data = {},
                             int* exit_code = nullptr) {
  ProcessSpec ps;
  ps.argv = std::move(argv);
  ps.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}, {"DEBUGFS_PAGER", "__none__"}};
  ps.stdin_data = std::move(stdin_data);
  Result<ProcessResult> r = RunProcess(ps);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    return {};
  }
  if (exit_code) *exit_code = r->exit_code;
  else if (r->exit_code != 0) ADD_FAILURE() << ps.argv[0] << " exited " << r->exit_code << ": " << r->err << r->out;
  return r->out + (exit_code ? r->err : std::string());
}

// True when every named program is installed.
inline bool HaveTools(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (FindProgram(n).empty()) return false;
  return true;
}

inline void MakeSparse(const std::filesystem::path& p, std::uint64_t size) {
  std::filesystem::remove(p);
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  ::close(fd);
}

inline std::string Slurp(const std::filesystem::path& p) {
  Result<std::string> r = ReadFile(p);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : std::string();
}

}  // namespace kiln::disk::testing
