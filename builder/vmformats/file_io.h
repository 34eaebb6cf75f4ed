// Positioned reads and writes with Result errors and streamed range copies, shared by the
// format writers (which copy the raw image's bytes into their containers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/common/unique_fd.h"

namespace kiln::vmformats {

// Reads exactly size bytes at offset (a short read is an error naming what).
Status ReadAt(int fd, void* data, std::size_t size, std::uint64_t offset, const std::string& what);
// Writes all of data at offset.
Status WriteAt(int fd, std::string_view data, std::uint64_t offset, const std::string& what);
// Opens path read-only; the error names it.
Result<UniqueFd> OpenForReading(const std::filesystem::path& path);

// Calls consume with the bytes of [offset, offset + size) of fd, in chunks of at most 1 MiB.
Status StreamRange(int fd, std::uint64_t offset, std::uint64_t size, const std::string& what,
                   const std::function<Status(std::string_view)>& consume);
// Calls consume with size zero bytes, in chunks of at most 1 MiB.
Status StreamZeros(std::uint64_t size, const std::function<Status(std::string_view)>& consume);

// Big- and little-endian field helpers for the on-disk headers.
void PutBe(std::string& s, std::size_t at, std::uint64_t v, int bytes);
void PutLe(std::string& s, std::size_t at, std::uint64_t v, int bytes);
std::uint64_t GetBe(std::string_view s, std::size_t at, int bytes);
std::uint64_t GetLe(std::string_view s, std::size_t at, int bytes);

}  // namespace kiln::vmformats
