# Embeds text files (tool schemas, ...) into a generated C++ source at build time, so the binary
# carries its own definitions and needs no files at run time.
#
# ghl_embed_files(OUT <cpp> NAMESPACE <ns> FUNCTION <fn> FILES <f>...)
# generates `std::vector<std::pair<std::string_view, std::string_view>> <ns>::<fn>()` returning
# (file name, contents) pairs in sorted order.
set(GHL_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_script.cmake)

function(ghl_embed_files)
  cmake_parse_arguments(E "" "OUT;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  list(SORT E_FILES)
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(
    OUTPUT ${E_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUT} -DNS=${E_NAMESPACE} -DFN=${E_FUNCTION}
            "-DFILES=${files_arg}" -P ${GHL_EMBED_SCRIPT}
    DEPENDS ${E_FILES} ${GHL_EMBED_SCRIPT}
    COMMENT "Embedding ${E_FUNCTION} (${E_OUT})"
    VERBATIM)
endfunction()
