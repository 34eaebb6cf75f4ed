// A libsquashfs compressor that wraps another and changes only how a block is compressed:
// configuration, options, copies (one per worker thread) and destruction are forwarded to
// the inner compressor. Used by the lz4 shrink-only fix (compressor.cc) and the block-cache
// compressor (cached_compressor.cc). Internal to builder/squashfs.
//
// Derived : WrappedCompressor<Derived> provides
//   sqfs_s32 Compress(const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize);
//   std::unique_ptr<Derived> CloneFor(sqfs_compressor_t* inner_copy) const;
#pragma once

#include <sqfs/compressor.h>
#include <sqfs/predef.h>

#include <memory>

namespace kiln::squashfs {

template <typename Derived>
struct WrappedCompressor {
  sqfs_compressor_t iface{};  // first: libsquashfs only sees this
  sqfs_compressor_t* inner = nullptr;

  // Takes ownership of w and of inner; returns what libsquashfs sees.
  static sqfs_compressor_t* Install(std::unique_ptr<Derived> w, sqfs_compressor_t* inner) {
    w->inner = inner;
    sqfs_compressor_t& c = w->iface;
    c.base.destroy = [](sqfs_object_t* obj) {
      std::unique_ptr<Derived> owned(Self(obj));
      sqfs_destroy(owned->inner);
    };
    c.base.copy = [](const sqfs_object_t* obj) -> sqfs_object_t* {
      Derived* self = Self(obj);
      auto* inner_copy = static_cast<sqfs_compressor_t*>(sqfs_copy(self->inner));
      if (!inner_copy) return nullptr;
      return reinterpret_cast<sqfs_object_t*>(Install(self->CloneFor(inner_copy), inner_copy));
    };
    c.get_configuration = [](const sqfs_compressor_t* cmp, sqfs_compressor_config_t* cfg) {
      Self(cmp)->inner->get_configuration(Self(cmp)->inner, cfg);
    };
    c.write_options = [](sqfs_compressor_t* cmp, sqfs_file_t* f) {
      return Self(cmp)->inner->write_options(Self(cmp)->inner, f);
    };
    c.read_options = [](sqfs_compressor_t* cmp, sqfs_file_t* f) {
      return Self(cmp)->inner->read_options(Self(cmp)->inner, f);
    };
    c.do_block = [](sqfs_compressor_t* cmp, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out, sqfs_u32 outsize) {
      return Self(cmp)->Compress(in, size, out, outsize);
    };
    return &w.release()->iface;
  }

  static Derived* Self(const void* p) {
    // iface is the first member of this standard-layout base, so the object's address is the
    // base's; Derived adds its members after it.
    return static_cast<Derived*>(reinterpret_cast<WrappedCompressor*>(const_cast<void*>(p)));
  }
};

}  // namespace kiln::squashfs
