// Serves one HTTP request for a file below a directory over a byte stream (a pair of fds), then
// closes: what QEMU's user network gives each guest connection with
// `guestfwd=tcp:ADDR:PORT-cmd:COMMAND` (the connection is the command's stdin and stdout).
// `kiln boot --serve DIR` uses it so a guest reaches a release channel at a fixed address
// without any host port being opened. GET and HEAD with single byte ranges (downloads resume);
// files are opened confined below the directory (no "..", no symlinks, regular files only).
//
// Written here rather than taken from a library: the HTTP servers Debian packages
// (libmicrohttpd and others) accept connections on sockets they listen on, while guestfwd hands
// over an already-connected stream.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "builder/common/result.h"

namespace kiln::file_server {

struct ServeOptions {
  std::chrono::milliseconds read_timeout{30000};  // for the whole request head
  // Longest wait for the client to take more of the response (a client that stops reading).
  std::chrono::milliseconds write_timeout{60000};
  // One line per request ("GET /index.p7s 200 1234"), for logs; may be empty.
  std::function<void(const std::string&)> on_request;
};

// Reads one request head from in_fd, answers on out_fd from files below root. Protocol errors
// are answered with 4xx and are not errors of this function; a failing root or output stream is.
Status ServeOneRequest(int in_fd, int out_fd, const std::filesystem::path& root, const ServeOptions& options);

}  // namespace kiln::file_server
