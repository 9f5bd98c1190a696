# The model libraries beside the reference backend (docs/models.md, docs/reference-backend.md):
#   testmodel/libQnnNodeTestModel.so         the test model library (QnnModel_composeGraphs)
#   testmodel/libQnnNodeTestModelCore214.so  the same, compiled for the core 2.14 table (55 slots)
#   modeldlc/libQnnModelDlc.so               the QnnModelDlc stand-in (reference DLC files)
# Windows: testmodel/QnnNodeTestModel.dll, testmodel/QnnNodeTestModelCore214.dll,
# modeldlc/QnnModelDlc.dll. Included by native/reference-backend/CMakeLists.txt.
set(QNNREF_MODEL_KIT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/graph_builder.cc
  ${CMAKE_CURRENT_LIST_DIR}/compose_driver.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_log.cc)
if(CMAKE_LIBRARY_OUTPUT_DIRECTORY)
  set(_qnnref_models_base "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
else()
  set(_qnnref_models_base "${CMAKE_CURRENT_BINARY_DIR}")
endif()

function(qnnref_model_library target output subdir map)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${output}
    LIBRARY_OUTPUT_DIRECTORY "${_qnnref_models_base}/${subdir}"
    RUNTIME_OUTPUT_DIRECTORY "${_qnnref_models_base}/${subdir}"
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(WIN32)
    set_target_properties(${target} PROPERTIES PREFIX "")
  endif()
  target_include_directories(${target} PRIVATE "${QNNREF_NATIVE_DIR}" "${CMAKE_CURRENT_LIST_DIR}")
  target_compile_features(${target} PRIVATE cxx_std_17)
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})  # dladdr (argument checks)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  endif()
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    set(_map "${CMAKE_CURRENT_SOURCE_DIR}/exports/${map}")
    target_link_options(${target} PRIVATE "LINKER:--version-script=${_map}" "LINKER:--no-undefined")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_map}")
  endif()
endfunction()

add_library(qnnref_test_model SHARED ${CMAKE_CURRENT_LIST_DIR}/test_model.cc ${QNNREF_MODEL_KIT_SOURCES})
qnnref_model_library(qnnref_test_model QnnNodeTestModel testmodel QnnNodeTestModel.map)
if(NOT WIN32)
  set_target_properties(qnnref_test_model PROPERTIES PREFIX "lib")
endif()

add_library(qnnref_test_model_core214 SHARED ${CMAKE_CURRENT_LIST_DIR}/test_model.cc ${QNNREF_MODEL_KIT_SOURCES})
qnnref_model_library(qnnref_test_model_core214 QnnNodeTestModelCore214 testmodel QnnNodeTestModel.map)
target_compile_definitions(qnnref_test_model_core214 PRIVATE QNN_NODE_TEST_MODEL_CORE_MINOR=14)
if(NOT WIN32)
  set_target_properties(qnnref_test_model_core214 PROPERTIES PREFIX "lib")
endif()

add_library(qnnref_model_dlc SHARED ${CMAKE_CURRENT_LIST_DIR}/model_dlc.cc ${CMAKE_CURRENT_LIST_DIR}/dlc_container.cc ${QNNREF_MODEL_KIT_SOURCES})
qnnref_model_library(qnnref_model_dlc QnnModelDlc modeldlc QnnModelDlc.map)
target_link_libraries(qnnref_model_dlc PRIVATE qnnref_core)
if(NOT WIN32)
  set_target_properties(qnnref_model_dlc PROPERTIES PREFIX "lib")
endif()

# The model probe (test/model_probe.cc): composes a model library / DLC on a backend (or a
# recording fake) and prints JSON lines; run by test/reference/models.test.ts and the
# conformance tests. Also cross-built for win32-x64 (scripts/cross/model-probe.cjs).
if(QNNREF_BUILD_TESTS AND NOT WIN32)
  add_executable(qnnref_model_probe ${CMAKE_CURRENT_SOURCE_DIR}/test/model_probe.cc)
  target_include_directories(qnnref_model_probe PRIVATE "${QNNREF_NATIVE_DIR}")
  target_compile_features(qnnref_model_probe PRIVATE cxx_std_17)
  target_link_libraries(qnnref_model_probe PRIVATE ${CMAKE_DL_LIBS})
  add_dependencies(qnnref_model_probe qnnref_test_model qnnref_test_model_core214 qnnref_model_dlc QnnReference)
endif()
