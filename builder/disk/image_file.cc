#include "builder/disk/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "builder/common/unique_fd.h"

namespace kiln::disk {

Status EnsureImageSize(const std::filesystem::path& image, std::uint64_t size) {
  UniqueFd fd(::open(image.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    return MakeError(ErrorCode::kIo, "cannot open " + image.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return MakeError(ErrorCode::kIo, "cannot stat " + image.string() + ": " + std::strerror(errno));
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) < size &&
      ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    return MakeError(ErrorCode::kIo, "cannot extend " + image.string() + " to " + std::to_string(size) +
                                         " bytes: " + std::strerror(errno));
  return OkStatus();
}

ProcessSpec ToolSpec(std::vector<std::string> argv, std::map<std::string, std::string> env,
                     std::vector<std::string> unset_env) {
  ProcessSpec ps;
  ps.argv = std::move(argv);
  ps.env = std::move(env);
  ps.unset_env = std::move(unset_env);
  return ps;
}

Result<ProcessResult> RunTool(const ProcessSpec& spec, const std::string& context, ErrorCode code) {
  Result<ProcessResult> r = RunChecked(spec, code);
  if (!r.ok()) return std::move(r).WithContext(context);
  return r;
}

}  // namespace kiln::disk
