#include "builder/file_server/stream_file_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/common/confined_file.h"
#include "builder/file_server/http_request.h"

namespace kiln::file_server {

namespace {

// Writes to a non-blocking fd, waiting at most `stall` each time the client takes nothing: a
// client that stops reading must not hold the process forever.
Status WriteAll(int fd, std::string_view data, std::chrono::milliseconds stall) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p = {fd, POLLOUT, 0};
      const int r = ::poll(&p, 1, static_cast<int>(stall.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return MakeError(ErrorCode::kIo, "the client took no bytes of the response within the timeout");
      continue;
    }
    if (n <= 0) return MakeError(ErrorCode::kIo, std::string("cannot write the response: ") + std::strerror(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

std::string Head(int status, const char* reason, std::uint64_t length, const std::string& extra) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " + std::to_string(length) +
         "\r\nAccept-Ranges: bytes\r\nConnection: close\r\n" + extra + "\r\n";
}

// Reads up to the blank line ending the head, bounded in size and time. The timeout is for
// the whole head, not per byte: a client sending a byte now and then (slowloris) would
// otherwise hold the connection for kMaxRequestHead timeouts.
Result<std::string> ReadHead(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string head;
  char c = 0;
  while (head.size() <= kMaxRequestHead) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return MakeError(ErrorCode::kInput, "no complete request within the timeout");
    struct pollfd p {fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return MakeError(ErrorCode::kInput, "no complete request within the timeout");
    // One byte at a time: the stream is only ours up to the end of the head, and heads are small.
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return MakeError(ErrorCode::kInput, "the connection closed before the request was complete");
    head += c;
    if (head.ends_with("\r\n\r\n") || head.ends_with("\n\n")) return head;
  }
  return MakeError(ErrorCode::kInput, "the request head is too long");
}

}  // namespace

Status ServeOneRequest(int in_fd, int out_fd, const std::filesystem::path& root, const ServeOptions& options) {
  auto log = [&](const std::string& line) {
    if (options.on_request) options.on_request(line);
  };
  KILN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirectory(root));
  // Writes wait with a timeout (WriteAll), which needs a non-blocking output.
  if (const int flags = ::fcntl(out_fd, F_GETFL); flags < 0 || ::fcntl(out_fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return MakeError(ErrorCode::kIo, std::string("cannot make the output non-blocking: ") + std::strerror(errno));
  auto respond = [&](std::string_view data) { return WriteAll(out_fd, data, options.write_timeout); };
  Result<std::string> head = ReadHead(in_fd, options.read_timeout);
  if (!head.ok()) {
    log("- - 400 (" + head.error().message + ")");
    return respond(Head(400, "Bad Request", 0, ""));
  }
  Result<HttpRequest> req = ParseRequestHead(*head);
  if (!req.ok()) {
    log("- - 400 (" + req.error().message + ")");
    return respond(Head(400, "Bad Request", 0, ""));
  }
  const std::string what = std::string(req->head_only ? "HEAD" : "GET") + " /" + req->path;
  Result<UniqueFd> file = req->path.empty() ? Result<UniqueFd>(MakeError(ErrorCode::kInput, "directory"))
                                            : OpenConfined(dir.get(), req->path);
  if (!file.ok()) {
    log(what + " 404");
    return respond(Head(404, "Not Found", 0, ""));
  }
  struct stat st {};
  if (::fstat(file->get(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat " + req->path);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  ServedRange served{0, size};
  int status = 200;
  std::string extra;
  if (req->range) {
    auto r = Satisfy(*req->range, size);
    if (!r) {
      log(what + " 416");
      return respond(Head(416, "Range Not Satisfiable", 0, "Content-Range: bytes */" + std::to_string(size) + "\r\n"));
    }
    served = *r;
    status = 206;
    extra = "Content-Range: bytes " + std::to_string(served.offset) + "-" + std::to_string(served.offset + served.length - 1) +
            "/" + std::to_string(size) + "\r\n";
  }
  KILN_TRY(respond(Head(status, status == 206 ? "Partial Content" : "OK", served.length,
                        extra + "Content-Type: application/octet-stream\r\n")));
  if (!req->head_only) {
    char buf[1 << 16];
    std::uint64_t left = served.length;
    auto off = static_cast<off_t>(served.offset);
    while (left > 0) {
      ssize_t n = ::pread(file->get(), buf, static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof buf)), off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return MakeError(ErrorCode::kIo, "cannot read " + req->path + " (it shrank while being served)");
      KILN_TRY(respond(std::string_view(buf, static_cast<std::size_t>(n))));
      left -= static_cast<std::uint64_t>(n);
      off += n;
    }
  }
  log(what + " " + std::to_string(status) + " " + std::to_string(served.length));
  return OkStatus();
}

}  // namespace kiln::file_server
