# `cmake --install build --prefix P`: the kiln binary, its man page, bash and zsh completions,
# the example recipes with the overlays they read, and the documentation.
include(GNUInstallDirs)

install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The update agent kiln puts into [update] images; kiln looks for it here (docs/updates.md).
if(TARGET kiln-update)
  install(TARGETS kiln-update RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/kiln)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/packaging/kiln.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/kiln.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME kiln)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completions/_kiln
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
# Recipes name their overlays relatively (../../overlays/hello), so both keep their layout.
# Modes are fixed (not the checkout's, which follow the umask) so packages are reproducible;
# overlay files in a bin/ or lib/NAME/ directory of the examples are programs.
set(_kiln_dir_mode DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
set(_kiln_exec_mode PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/recipes ${PROJECT_SOURCE_DIR}/overlays
        DESTINATION ${CMAKE_INSTALL_DATADIR}/kiln
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ ${_kiln_dir_mode}
        PATTERN "overlays/hello/usr/bin/*" ${_kiln_exec_mode}
        PATTERN "overlays/appliance/usr/lib/appliance/*" ${_kiln_exec_mode})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ ${_kiln_dir_mode})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/ci/templates DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ ${_kiln_dir_mode})
