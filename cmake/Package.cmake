# `cpack --config build/CPackConfig.cmake -G DEB` (or packaging/build-deb, which also makes the
# result reproducible): kiln_VERSION_ARCH.deb from the install rules of cmake/Install.cmake.
# Depends: the shared libraries kiln links (dpkg-shlibdeps) and the tools it runs; QEMU and OVMF
# (kiln boot) and fakechroot (mmdebstrap without user namespaces) are only recommended.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kiln)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "kiln maintainers <kiln@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "reproducible, signed, immutable OS images from a TOML recipe")
set(CPACK_PACKAGE_DESCRIPTION
    "kiln builds GPT disk images with a dm-verity protected squashfs root, OCI images, signed manifests, SBOMs and provenance, bit for bit reproducibly.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "mmdebstrap, uidmap, e2fsprogs, mtools, dosfstools, qemu-utils, binutils, systemd-boot-efi, sbsigntool, faketime, squashfs-tools")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qemu-system-x86, ovmf, fakechroot, fakeroot")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
include(CPack)
