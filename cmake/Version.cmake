# The git revision and libsquashfs version `kiln --version` names. Only builder/cli/version_info.cc
# sees them, so a new commit recompiles one file and changes no library or artifact bytes (the
# manifest records the project version, not the revision). Read at configure time; a source
# tree that is not a git checkout (a release tarball) says "unknown".
find_package(Git QUIET)
set(KILN_GIT_REVISION "unknown")
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE _kiln_describe OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _kiln_describe_rc ERROR_QUIET)
  if(_kiln_describe_rc EQUAL 0 AND _kiln_describe)
    set(KILN_GIT_REVISION "${_kiln_describe}")
  endif()
endif()
set(KILN_GIT_REVISION "${KILN_GIT_REVISION}" CACHE STRING "Revision kiln --version names (default: git describe)" FORCE)

# libsquashfs has no run-time version query: record the version it was built against.
set_property(SOURCE ${PROJECT_SOURCE_DIR}/builder/cli/version_info.cc DIRECTORY ${PROJECT_SOURCE_DIR}/builder/cli
             APPEND PROPERTY COMPILE_DEFINITIONS
             KILN_GIT_REVISION="${KILN_GIT_REVISION}" KILN_SQUASHFS_VERSION="${SQUASHFS_VERSION}")
