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

# recoup_add_library(name SOURCES ... [HEADERS ...] DEPS ... [PRIVATE_DEPS ...]):
# one static library per module.
#
# A library exposes only its own headers: the .h beside each of its sources
# (foo.cc -> foo.h) and the header-only files named in HEADERS (PRIVATE_HEADERS
# are seen by its own sources only). They are linked
# into an include root of its own (build/include/<name>/recoup/<module>/...),
# and that root is the library's only public include directory. So a module
# sees the headers of the libraries it declares (and, through PUBLIC linking,
# theirs), never the whole of src/; scripts/check-layering.py then holds every
# #include to the directly declared edges, and docs/ARCHITECTURE.md to the
# same graph.
#
# Without SOURCES the library is header-only (an INTERFACE library): the
# domain records that several modules, the store among them, speak of.
function(recoup_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS;PRIVATE_HEADERS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(recoup_${name} STATIC ${ARG_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(recoup_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  file(RELATIVE_PATH module_dir ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(root ${PROJECT_BINARY_DIR}/include/${name})
  file(REMOVE_RECURSE ${root})
  set(headers ${ARG_HEADERS})
  foreach(src IN LISTS ARG_SOURCES)
    if(NOT IS_ABSOLUTE ${src} AND src MATCHES "\\.cc$")
      string(REGEX REPLACE "\\.cc$" ".h" header ${src})
      if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${header})
        list(APPEND headers ${header})
      endif()
    endif()
  endforeach()
  foreach(header IN LISTS headers)
    get_filename_component(sub ${header} DIRECTORY)
    file(MAKE_DIRECTORY ${root}/${module_dir}/${sub})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${header} ${root}/${module_dir}/${header} SYMBOLIC)
  endforeach()
  target_include_directories(recoup_${name} ${scope} ${root})
  # PRIVATE_HEADERS: shared by the library's own sources only.
  if(ARG_PRIVATE_HEADERS)
    set(private_root ${PROJECT_BINARY_DIR}/include-private/${name})
    file(REMOVE_RECURSE ${private_root})
    foreach(header IN LISTS ARG_PRIVATE_HEADERS)
      file(MAKE_DIRECTORY ${private_root}/${module_dir})
      file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${header} ${private_root}/${module_dir}/${header}
           SYMBOLIC)
    endforeach()
    target_include_directories(recoup_${name} PRIVATE ${private_root})
  endif()
  if(ARG_SOURCES)
    target_link_libraries(recoup_${name} PUBLIC recoup_compile_options ${ARG_DEPS}
                          PRIVATE ${ARG_PRIVATE_DEPS})
  else()
    target_link_libraries(recoup_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# recoup_add_test(name SOURCES ... DEPS ... LABELS ...): a GoogleTest binary.
function(recoup_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  # Tests are not layered: they may reach test helpers anywhere under src/.
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE recoup_compile_options ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "RECOUP_TESTDATA=${RECOUP_TESTDATA_DIR};RECOUP_SOURCE_DIR=${PROJECT_SOURCE_DIR};RECOUP_BINARY=$<TARGET_FILE:recoup>"
    DISCOVERY_TIMEOUT 60)
endfunction()
