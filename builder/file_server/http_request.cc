#include "builder/file_server/http_request.h"

#include <charconv>
#include <vector>

namespace kiln::file_server {

namespace {

Error Bad(std::string why) { return MakeError(ErrorCode::kInput, "bad HTTP request: " + std::move(why)); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "bytes=A-" or "bytes=A-B"; suffix ranges ("-N") and lists are not needed by any client kiln
// serves and are ignored (the whole file is sent, which RFC 9110 allows).
std::optional<ByteRange> ParseRange(std::string_view v) {
  v = Trim(v);
  if (v.substr(0, 6) != "bytes=") return std::nullopt;
  v.remove_prefix(6);
  std::size_t dash = v.find('-');
  if (dash == std::string_view::npos || v.find(',') != std::string_view::npos) return std::nullopt;
  auto first = Number(v.substr(0, dash));
  if (!first) return std::nullopt;
  ByteRange r{*first, std::nullopt};
  std::string_view rest = v.substr(dash + 1);
  if (!rest.empty()) {
    auto last = Number(rest);
    if (!last || *last < *first) return std::nullopt;
    r.last = *last;
  }
  return r;
}

bool PathCharOk(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+' || c == '~' || c == '/';
}

}  // namespace

Result<HttpRequest> ParseRequestHead(std::string_view head) {
  if (head.size() > kMaxRequestHead) return Bad("the request head is longer than " + std::to_string(kMaxRequestHead) + " bytes");
  std::vector<std::string_view> lines;
  bool terminated = false;
  for (std::size_t start = 0; start < head.size() && !terminated;) {
    std::size_t nl = head.find('\n', start);
    if (nl == std::string_view::npos) return Bad("the request head does not end with a blank line");
    std::string_view line = head.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = nl + 1;
    if (line.empty()) {
      if (start != head.size()) return Bad("bytes after the request head");
      terminated = true;
      break;
    }
    for (char c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return Bad("control characters in the request");
    lines.push_back(line);
  }
  if (!terminated) return Bad("the request head does not end with a blank line");
  if (lines.empty()) return Bad("no request line");
  std::string_view rl = lines[0];
  std::size_t sp1 = rl.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos) return Bad("malformed request line");
  std::string_view method = rl.substr(0, sp1), target = rl.substr(sp1 + 1, sp2 - sp1 - 1), version = rl.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Bad("not HTTP/1.x");
  HttpRequest req;
  if (method == "HEAD") req.head_only = true;
  else if (method != "GET") return Bad("only GET and HEAD are served");
  if (std::size_t q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  if (target.empty() || target.front() != '/') return Bad("the target is not an absolute path");
  target.remove_prefix(1);
  for (char c : target)
    if (!PathCharOk(c)) return Bad("the target has characters outside [A-Za-z0-9._+~/-]");
  // Each segment must be a plain name: no empty, "." or ".." segment.
  for (std::size_t start = 0; start <= target.size() && !target.empty();) {
    std::size_t slash = target.find('/', start);
    std::string_view seg = target.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return Bad("the target has an empty, '.' or '..' segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  req.path = std::string(target);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos || colon == 0) return Bad("malformed header line");
    if (EqualsIgnoreCase(lines[i].substr(0, colon), "range")) req.range = ParseRange(lines[i].substr(colon + 1));
  }
  return req;
}

std::optional<ServedRange> Satisfy(const ByteRange& r, std::uint64_t size) {
  if (r.first >= size) return std::nullopt;
  std::uint64_t last = r.last ? std::min(*r.last, size - 1) : size - 1;
  return ServedRange{r.first, last - r.first + 1};
}

}  // namespace kiln::file_server
