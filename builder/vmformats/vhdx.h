// Dynamic VHDX (Microsoft [MS-VHDX]) for Hyper-V and Azure Stack.
//
// Made by `qemu-img convert -O vhdx`, then made deterministic by rewriting the few fields
// qemu-img fills at random: both headers' sequence numbers, FileWriteGuid and DataWriteGuid
// (with their CRC-32C), the Page83 virtual disk id in the metadata region, and the log
// region, which holds a stale entry with a random log GUID (the headers' LogGuid is zero, so
// by the specification the log is empty and must not be replayed: zeroing it changes nothing a
// reader sees). This is less code and less risk than writing the BAT, sector bitmaps and
// metadata ourselves: qemu-img's layout is the one Hyper-V has long accepted, and the rewrite
// checks every structure it touches (signatures, CRCs, region table, metadata entry) and
// fails rather than guess if qemu-img's layout ever changes.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "builder/common/result.h"

namespace kiln::vmformats {

// Rewrites the random identity fields of a VHDX in place with values derived from seed.
Status MakeVhdxDeterministic(const std::filesystem::path& vhdx, const std::array<std::uint8_t, 16>& seed);

// Converts raw to vhdx at out (qemu-img) and makes it deterministic.
Status WriteVhdx(const std::filesystem::path& raw, const std::filesystem::path& out,
                 const std::array<std::uint8_t, 16>& seed);

}  // namespace kiln::vmformats
