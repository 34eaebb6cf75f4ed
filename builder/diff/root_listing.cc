#include "builder/diff/root_listing.h"

#include <sys/stat.h>

#include <sstream>
#include <system_error>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"

namespace kiln::diff {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRootPrefix = "squashfs-root";

std::uint32_t ParseMode(std::string_view p) {
  // "rwsr-xr-t": setuid/setgid/sticky share the x columns (s/S, t/T).
  std::uint32_t mode = 0;
  static const std::uint32_t kBits[9] = {0400, 0200, 0100, 040, 020, 010, 04, 02, 01};
  for (int i = 0; i < 9 && i + 1 < static_cast<int>(p.size()); ++i) {
    char c = p[i + 1];
    if (c != '-' && c != 'S' && c != 'T') mode |= kBits[i];
  }
  if (p.size() >= 10) {
    if (p[3] == 's' || p[3] == 'S') mode |= 04000;
    if (p[6] == 's' || p[6] == 'S') mode |= 02000;
    if (p[9] == 't' || p[9] == 'T') mode |= 01000;
  }
  return mode;
}

// Splits off the next whitespace-separated token; returns false at the end of the line.
bool NextToken(std::string_view& line, std::string_view* token) {
  std::size_t b = line.find_first_not_of(' ');
  if (b == std::string_view::npos) return false;
  std::size_t e = line.find(' ', b);
  if (e == std::string_view::npos) e = line.size();
  *token = line.substr(b, e - b);
  line = line.substr(e);
  return true;
}

// Gives the scratch extraction back to its owner: unsquashfs recreates read-only
// directories (0555) that would stop both hashing and the TempDir cleanup.
void MakeOwnerWritable(const fs::path& dir) {
  ::chmod(dir.c_str(), 0700);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) MakeOwnerWritable(it->path());
  }
}

}  // namespace

Result<std::map<std::string, FileState>> ParseUnsquashfsListing(std::string_view text) {
  std::map<std::string, FileState> files;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto bad = [&](const char* what) {
      return MakeError(ErrorCode::kInput, "unsquashfs listing line " + std::to_string(line_no) + ": " + what + ": " +
                                              std::string(line));
    };
    std::string_view perms, owner, size, date, time;
    if (!NextToken(line, &perms) || !NextToken(line, &owner) || !NextToken(line, &size)) return bad("too few fields");
    FileState st;
    st.type = perms[0];
    st.mode = ParseMode(perms);
    std::size_t slash = owner.find('/');
    if (slash == std::string_view::npos) return bad("no uid/gid");
    try {
      st.uid = static_cast<std::uint32_t>(std::stoul(std::string(owner.substr(0, slash))));
      st.gid = static_cast<std::uint32_t>(std::stoul(std::string(owner.substr(slash + 1))));
      if (st.type == 'c' || st.type == 'b') {
        std::string_view minor;
        if (!NextToken(line, &minor)) return bad("no device minor");
        st.device = std::string(size) + std::string(minor);  // "1," + "3"
      } else {
        st.size = std::stoull(std::string(size));
      }
    } catch (const std::exception&) {
      return bad("bad number");
    }
    if (!NextToken(line, &date) || !NextToken(line, &time) || line.size() < 2) return bad("no name");
    std::string_view name = line.substr(1);
    if (st.type == 'l') {
      std::size_t arrow = name.find(" -> ");
      if (arrow == std::string_view::npos) return bad("symlink without target");
      name = name.substr(0, arrow);
    }
    if (name.substr(0, kRootPrefix.size()) != kRootPrefix) return bad("name outside squashfs-root");
    name.remove_prefix(kRootPrefix.size());
    if (!name.empty() && name[0] == '/') name.remove_prefix(1);
    if (st.type != '-' && st.type != 'l') st.size = 0;  // directory sizes follow their entries
    files[std::string(name)] = std::move(st);
  }
  return files;
}

Result<RootListing> ReadSquashfsRoot(const fs::path& image, std::uint64_t offset, const fs::path& work_dir) {
  if (FindProgram("unsquashfs").empty())
    return MakeError(ErrorCode::kInput, "kiln diff needs unsquashfs (squashfs-tools) in PATH");
  KILN_ASSIGN_OR_RETURN(TempDir scratch, TempDir::Create(work_dir, "kiln-diff"));
  const std::string off = std::to_string(offset);

  ProcessSpec list;
  list.argv = {"unsquashfs", "-lln", "-o", off, image.string()};
  list.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  KILN_ASSIGN_OR_RETURN(ProcessResult listed, RunChecked(list, ErrorCode::kInput).WithContext("listing " + image.string()));
  RootListing root;
  KILN_ASSIGN_OR_RETURN(root.files, ParseUnsquashfsListing(listed.out).WithContext(image.string()));

  // Unprivileged extraction cannot create devices or set owners: those come from the listing,
  // so such errors are ignored; a regular file that fails to extract fails hashing below.
  const fs::path dir = scratch.path() / "root";
  ProcessSpec extract;
  extract.argv = {"unsquashfs", "-no-xattrs", "-ignore-errors", "-no-exit-code", "-q", "-n", "-o", off,
                  "-d", dir.string(), image.string()};
  extract.env = {{"LC_ALL", "C"}};
  auto extracted = RunChecked(extract, ErrorCode::kInput).WithContext("extracting " + image.string());
  MakeOwnerWritable(dir);
  if (!extracted.ok()) return std::move(extracted).error();

  for (auto& [path, st] : root.files) {
    fs::path host = dir / path;
    if (st.type == '-') {
      ::chmod(host.c_str(), 0600);  // our own scratch copy; modes come from the listing
      KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(host).WithContext("hashing " + path + " in " + image.string()));
      st.sha256 = ToHex(d);
    } else if (st.type == 'l') {
      std::error_code ec;
      fs::path target = fs::read_symlink(host, ec);
      if (ec) return MakeError(ErrorCode::kInput, "reading symlink " + path + " in " + image.string() + ": " + ec.message());
      st.target = target.string();
    }
  }
  auto status = root.files.find("var/lib/dpkg/status");
  if (status != root.files.end() && status->second.type == '-') {
    KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(dir / "var/lib/dpkg/status"));
    KILN_ASSIGN_OR_RETURN(root.packages,
                          sources::ParseDpkgStatus(text).WithContext("var/lib/dpkg/status in " + image.string()));
  }
  return root;
}

}  // namespace kiln::diff
