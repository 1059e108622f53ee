# Shared compile options and helpers for recoup targets.
add_library(recoup_compile_options INTERFACE)
target_compile_features(recoup_compile_options INTERFACE cxx_std_20)
target_compile_options(recoup_compile_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(RECOUP_WERROR)
  target_compile_options(recoup_compile_options INTERFACE -Werror)
endif()
if(RECOUP_SANITIZE)
  target_compile_options(recoup_compile_options INTERFACE
    -fsanitize=${RECOUP_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(recoup_compile_options INTERFACE -fsanitize=${RECOUP_SANITIZE})
endif()

# recoup_add_library(name SOURCES ... DEPS ...): one static library per module.
function(recoup_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(recoup_${name} STATIC ${ARG_SOURCES})
  target_include_directories(recoup_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(recoup_${name} PUBLIC recoup_compile_options ${ARG_DEPS}
                        PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# recoup_add_test(name SOURCES ... DEPS ... LABELS ...): a GoogleTest binary.
function(recoup_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE recoup_compile_options ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "RECOUP_TESTDATA=${RECOUP_TESTDATA_DIR};RECOUP_SOURCE_DIR=${PROJECT_SOURCE_DIR};RECOUP_BINARY=$<TARGET_FILE:recoup>"
    DISCOVERY_TIMEOUT 60)
endfunction()
