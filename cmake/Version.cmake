# The git revision and libsquashfs version `kiln --version` names. Only builder/cli/version_info.cc
# sees them, so a new commit recompiles that one file and relinks kiln; no library and no
# artifact byte changes (the manifest records the project version, not the revision).
# The revision is read at every build (cmake/GitRevision.cmake), so it never goes stale.
set(_kiln_revision_header ${PROJECT_BINARY_DIR}/generated/kiln_git_revision.h)
add_custom_target(kiln_git_revision
                  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${_kiln_revision_header}
                          -P ${PROJECT_SOURCE_DIR}/cmake/GitRevision.cmake
                  BYPRODUCTS ${_kiln_revision_header}
                  COMMENT "" VERBATIM)
add_dependencies(kiln kiln_git_revision)

# libsquashfs has no run-time version query: record the version it was built against.
set_property(SOURCE ${PROJECT_SOURCE_DIR}/builder/cli/version_info.cc DIRECTORY ${PROJECT_SOURCE_DIR}/builder/cli
             APPEND PROPERTY COMPILE_DEFINITIONS KILN_SQUASHFS_VERSION="${SQUASHFS_VERSION}")
set_property(SOURCE ${PROJECT_SOURCE_DIR}/builder/cli/version_info.cc DIRECTORY ${PROJECT_SOURCE_DIR}/builder/cli
             APPEND PROPERTY INCLUDE_DIRECTORIES ${PROJECT_BINARY_DIR}/generated)
