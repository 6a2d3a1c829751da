# One helper per target kind, so that every module is built the same way.
include(GoogleTest)

# parley_library(NAME SOURCES ... DEPS ...): a module library; its public
# headers are included as "module/header.h" from the source root.
function(parley_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# parley_program(NAME SOURCES ... DEPS ...): an installed command-line program.
function(parley_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endfunction()

# parley_test(NAME SOURCES ... DEPS ... [LABELS ...]): one GoogleTest binary,
# registered test by test with CTest.
function(parley_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;LOCK" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LOCK)
    set(ARG_LOCK none)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" RESOURCE_LOCK ${ARG_LOCK})
endfunction()

# parley_flatbuffers(TARGET SCHEMAS ...): compiles .fbs files with flatc at
# build time into <binary dir>/<module>/<name>_generated.h.
function(parley_flatbuffers target)
  cmake_parse_arguments(ARG "" "" "SCHEMAS" ${ARGN})
  set(outputs)
  foreach(schema ${ARG_SCHEMAS})
    get_filename_component(stem ${schema} NAME_WE)
    file(RELATIVE_PATH rel_dir ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    set(out_dir ${PROJECT_BINARY_DIR}/${rel_dir})
    set(out ${out_dir}/${stem}_generated.h)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${FLATC} --cpp --scoped-enums -o ${out_dir} ${CMAKE_CURRENT_SOURCE_DIR}/${schema}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${schema}
      COMMENT "flatc ${schema}")
    list(APPEND outputs ${out})
  endforeach()
  add_custom_target(${target} DEPENDS ${outputs})
endfunction()
