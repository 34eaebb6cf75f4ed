// libFuzzer harness: tarball import (base.type = "tarball", Debian bases, image layers) into
// a FileTree. The archive is read from memory; member contents are read and discarded.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "builder/common/fuzz_input.h"
#include "builder/tree/tarball_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kiln::fuzz::MemoryFile archive(data, size);
  kiln::tree::FileTree tree;
  auto content = [](std::size_t, const kiln::tree::ContentStore::ChunkReader& read)
      -> kiln::Result<kiln::tree::FileContent> {
    kiln::tree::FileContent c;
    std::vector<char> buf(4096);
    for (;;) {
      KILN_ASSIGN_OR_RETURN(std::size_t n, read(buf.data(), buf.size()));
      if (n == 0) break;
      c.size += n;
    }
    c.is_inline = true;
    return c;
  };
  (void)kiln::tree::ImportTarball(tree, archive.path(), content, "fuzz");
  return 0;
}
