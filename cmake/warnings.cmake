# Strict warnings on our own targets only (system headers from Debian packages stay quiet).
function(ghl_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
    -Woverloaded-virtual -Wimplicit-fallthrough -Werror
    -Wno-error=maybe-uninitialized  # g++ 12 false positives inside <regex> under ASan
    -Wno-missing-field-initializers)  # partial aggregate initialization is idiomatic here
endfunction()
