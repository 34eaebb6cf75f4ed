// Runs an external tool (mke2fs, qemu-img, mmdebstrap, ...) with an explicit argument vector
// and environment: no shell, no inherited locale, output captured for error messages.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string_view>
#include <string>
#include <vector>

#include "builder/common/result.h"

namespace kiln {

struct ProcessSpec {
  std::vector<std::string> argv;                    // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;           // added to / overriding the environment
  std::vector<std::string> unset_env;               // removed from the environment
  std::filesystem::path cwd;                        // empty: inherit
  std::string stdin_data;                           // fed to the child's stdin
  bool capture_stdout = true;
  bool stream_stderr = false;                       // pass stderr through instead of capturing
  // Called with each line of captured stderr as it arrives ('\n' or '\r' ends a line), for
  // progress; the whole stderr is still in ProcessResult::err.
  std::function<void(std::string_view line)> on_stderr_line;
};

struct ProcessResult {
  int exit_code = -1;  // the child's exit status, or 128+signal
  std::string out;
  std::string err;
};

// Fails only when the program cannot be started; a non-zero exit is in the result.
Result<ProcessResult> RunProcess(const ProcessSpec& spec);
// Like RunProcess, but a non-zero exit is an error of `code` quoting the tool's stderr.
Result<ProcessResult> RunChecked(const ProcessSpec& spec, ErrorCode code = ErrorCode::kBuild);

// Absolute path of a program found in PATH, or empty.
std::filesystem::path FindProgram(const std::string& name);

}  // namespace kiln
