# Script mode (cmake -P), run at every build by the kiln_git_revision target: writes OUTPUT
# with the source tree's `git describe --always --dirty`, or "unknown" outside a git checkout
# (a release tarball). The file is rewritten only when the revision changed, so an unchanged
# tree recompiles nothing.
set(revision "unknown")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} describe --always --dirty
                  OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND described)
    set(revision "${described}")
  endif()
endif()
set(text "#define KILN_GIT_REVISION \"${revision}\"\n")
set(old "")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
