# libFuzzer harnesses (docs/security.md, "Fuzzing"). With -DKILN_FUZZ=ON (clang only) every
# target gets coverage instrumentation (-fsanitize=fuzzer-no-link), so the sanitizer build of
# the unit tests also builds the harnesses: no extra full build. Off, kiln_add_fuzzer does
# nothing.
#
#   kiln_add_fuzzer(NAME <name> SOURCES <files...> LIBS <libs...> CORPUS <dir>)
#
# builds <name> (sources defining LLVMFuzzerTestOneInput) and registers two CTest tests
# labelled `fuzz`: fuzz.<name>.corpus replays every file of the committed seed corpus <dir>,
# and fuzz.<name>.run mutates it for KILN_FUZZ_SECONDS with a fixed seed. New inputs found go
# to a scratch directory in the build tree, never into <dir>; a crashing input is written as
# <build>/fuzz/<name>/crash-<sha1>.

option(KILN_FUZZ "Build the libFuzzer harnesses (needs clang) and register them as tests labelled fuzz" OFF)
set(KILN_FUZZ_SECONDS 3 CACHE STRING "Seconds each harness mutates its corpus in the test suite")

if(KILN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KILN_FUZZ=ON needs clang (libFuzzer): configure with CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()

function(kiln_add_fuzzer)
  if(NOT KILN_FUZZ)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 0 F "" "NAME;CORPUS" "SOURCES;LIBS")
  if(NOT F_NAME OR NOT F_SOURCES OR NOT F_CORPUS)
    message(FATAL_ERROR "kiln_add_fuzzer needs NAME, SOURCES and CORPUS")
  endif()
  get_filename_component(corpus "${F_CORPUS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${corpus}")
    message(FATAL_ERROR "kiln_add_fuzzer(${F_NAME}): the seed corpus ${corpus} does not exist")
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_include_directories(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  set(work ${PROJECT_BINARY_DIR}/fuzz/${F_NAME})
  # -runs=0: execute the corpus once, mutate nothing. The run writes what it finds to a fresh
  # scratch directory (the first directory argument) so the committed corpus stays untouched.
  set(common -artifact_prefix=${work}/ -timeout=10 -rss_limit_mb=2048 -print_final_stats=0)
  add_test(NAME fuzz.${F_NAME}.corpus COMMAND $<TARGET_FILE:${F_NAME}> ${common} -runs=0 ${corpus})
  add_test(NAME fuzz.${F_NAME}.run
           COMMAND sh -c "rm -rf \"$1/new\" && mkdir -p \"$1/new\" && shift && exec \"$@\"" sh ${work}
                   $<TARGET_FILE:${F_NAME}> ${common} -seed=1 -max_total_time=${KILN_FUZZ_SECONDS}
                   ${work}/new ${corpus})
  set_tests_properties(fuzz.${F_NAME}.corpus fuzz.${F_NAME}.run PROPERTIES LABELS fuzz TIMEOUT 300)
  file(MAKE_DIRECTORY ${work})
endfunction()
