# One place for the flags every budgetd target shares: warnings as errors and the sanitizers.

set(BUDGETD_SANITIZER_FLAGS "")
if(BUDGETD_ASAN)
  list(APPEND BUDGETD_SANITIZER_FLAGS -fsanitize=address -fno-omit-frame-pointer)
endif()
if(BUDGETD_UBSAN)
  list(APPEND BUDGETD_SANITIZER_FLAGS -fsanitize=undefined -fno-sanitize-recover=undefined)
endif()
if(BUDGETD_TSAN)
  if(BUDGETD_ASAN)
    message(FATAL_ERROR "BUDGETD_TSAN and BUDGETD_ASAN cannot be combined")
  endif()
  # -Wno-tsan: Asio uses atomic_thread_fence, which GCC's TSan cannot model, and GCC warns at
  # every use. budgetd's own code uses no fences; the TSan CI run (store stress test and the
  # server's integration tests) reports no races.
  list(APPEND BUDGETD_SANITIZER_FLAGS -fsanitize=thread -Wno-tsan)
endif()

if(BUDGETD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BUDGETD_FUZZ needs clang's libFuzzer: configure with -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(BUDGETD_TSAN OR BUDGETD_ASAN OR BUDGETD_UBSAN)
    message(FATAL_ERROR "BUDGETD_FUZZ brings its own sanitizers (address, undefined); drop the other options")
  endif()
  # Coverage for libFuzzer in every library; each harness links -fsanitize=fuzzer (tests/fuzz).
  # Undefined behaviour aborts, so the fuzzer reports it as a crash.
  list(APPEND BUDGETD_SANITIZER_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer)
endif()

set(BUDGETD_ARCH_FLAGS "")
if(BUDGETD_X86_64_V3 AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BUDGETD_ARCH_FLAGS -march=x86-64-v3 -mpclmul)
  add_compile_definitions(BUDGETD_REQUIRES_AVX2=1)
endif()

# GCC 12's -Wmaybe-uninitialized misfires on moves of std::variant (Result<T> holds one) once
# asserts are compiled in: it reports the inactive alternative's std::string as uninitialized.
# Clang has no such warning; GCC's -Wuninitialized (definite cases) stays on.
# GCC 12 at -O3 (the Release build of make bench) reports impossible overlaps inside libstdc++'s
# std::string inserts and appends (-Wrestrict, GCC bug 105329), in files that only concatenate
# strings; the test build (-O2) never sees it, so a Release-only break would reach main unseen.
set(BUDGETD_GCC_FLAGS "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(BUDGETD_GCC_FLAGS -Wno-maybe-uninitialized -Wno-restrict)
endif()

# budgetd_target_defaults(<target>): warnings as errors and the sanitizer flags chosen above.
function(budgetd_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
                                           -Wshadow -Wnon-virtual-dtor -Wold-style-cast ${BUDGETD_GCC_FLAGS}
                                           ${BUDGETD_ARCH_FLAGS} ${BUDGETD_SANITIZER_FLAGS})
  target_link_options(${target} PRIVATE ${BUDGETD_SANITIZER_FLAGS})
endfunction()

# budgetd_module(<name> SOURCES ... DEPS ...): the library target budgetd_<name>, aliased
# budgetd::<name>, with the public headers under include/budgetd/<name>/.
function(budgetd_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(budgetd_${name} STATIC ${ARG_SOURCES})
  add_library(budgetd::${name} ALIAS budgetd_${name})
  target_include_directories(budgetd_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(budgetd_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  budgetd_target_defaults(budgetd_${name})
  # Sanitizer flags must reach whatever links this library.
  target_link_options(budgetd_${name} INTERFACE ${BUDGETD_SANITIZER_FLAGS})
endfunction()
