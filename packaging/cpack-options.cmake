# Read by cpack (CPACK_PROJECT_CONFIG_FILE) after CPackConfig.cmake. GHL_CPACK_COMPRESSION picks
# the .deb's compression instead of xz: tests/packaging packs the 90 MB sanitized binary, which
# xz takes over a minute to compress and gzip a few seconds; the package is otherwise the same.
if(DEFINED ENV{GHL_CPACK_COMPRESSION})
  set(CPACK_DEBIAN_COMPRESSION_TYPE "$ENV{GHL_CPACK_COMPRESSION}")
endif()
