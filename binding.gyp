# node-gyp build: the end-user source build (scripts/install.cjs runs `node-gyp rebuild` when
# no prebuild loads). It builds the same three files as the cmake-js build of a clone
# (CMakeLists.txt), all into build/Release:
#   qnn_node.node                                    the addon
#   libQnnReference.so / .dylib / QnnReference.dll   the reference backend (core API)
#   libQnnReferenceSystem.* / QnnReferenceSystem.dll  the reference backend (System API)
#   rpcmem/libcdsprpc.so / rpcmem/libcdsprpc.dll     the rpcmem stand-in (shared memory)
#   testmodel/libQnnNodeTestModel.so (+ ...Core214.so) / testmodel/QnnNodeTestModel.dll
#                                                    the test model library (docs/models.md)
#   modeldlc/libQnnModelDlc.so / modeldlc/QnnModelDlc.dll  the QnnModelDlc stand-in
# Real SDK headers: QNN_SDK_ROOT=<sdk> npx node-gyp rebuild  (or --qnn_sdk_root=<sdk>).
{
  "variables": {
    "qnn_sdk_root%": "<!(node -p \"process.env.QNN_SDK_ROOT || ''\")"
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++14", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-fvisibility=hidden", "-fvisibility-inlines-hidden"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "GCC_ENABLE_CPP_RTTI": "YES",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "RuntimeTypeInfo": "true", "AdditionalOptions": ["/std:c++17"] }
    },
    "conditions": [
      ["OS=='win'", { "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "UNICODE", "_UNICODE"] }]
    ]
  },
  "targets": [
    {
      "target_name": "qnn_node",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/AddonCompose.cc",
        "native/addon/AddonContext.cc",
        "native/addon/AddonGraph.cc",
        "native/addon/AddonMappedFile.cc",
        "native/addon/AddonRuntime.cc",
        "native/addon/AnswerDecoder.cc",
        "native/addon/BinaryInfo.cc",
        "native/addon/ConfigsFromJs.cc",
        "native/addon/ContextConfigs.cc",
        "native/addon/BinarySections.cc",
        "native/addon/ComposeCall.cc",
        "native/addon/ContextBinary.cc",
        "native/addon/ContextCompose.cc",
        "native/addon/ContextLoad.cc",
        "native/addon/RawCustomConfigs.cc",
        "native/addon/ContextState.cc",
        "native/addon/Errors.cc",
        "native/addon/GraphSignatures.cc",
        "native/addon/HostMatmul.cc",
        "native/addon/HtpVersion.cc",
        "native/addon/Loader.cc",
        "native/addon/LoadDiagnostics.cc",
        "native/addon/LogBridge.cc",
        "native/addon/Mapping.cc",
        "native/addon/ModelLibrary.cc",
        "native/addon/PlatformInfo.cc",
        "native/addon/PowerVotes.cc",
        "native/addon/ProcessLimits.cc",
        "native/addon/RunOptions.cc",
        "native/addon/Profiling.cc",
        "native/addon/RuntimeState.cc",
        "native/addon/RpcMem.cc",
        "native/addon/SafeRead.cc",
        "native/addon/SharedBlocks.cc",
        "native/addon/SharedMemory.cc",
        "native/addon/TensorMeta.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "conditions": [
        ["OS=='linux' or OS=='android'", { "libraries": ["-ldl", "-lpthread"] }],
        ["qnn_sdk_root!=''", {
          "defines": ["QNN_NODE_USE_SDK_HEADERS"],
          "include_dirs": ["<(qnn_sdk_root)/include/QNN", "<(qnn_sdk_root)/include/QNN/System"]
        }]
      ]
    },
    {
      # The reference backend's shared code (native/reference-backend/CMakeLists.txt: qnnref_core).
      "target_name": "qnnref_core",
      "type": "static_library",
      "win_delay_load_hook": "false",
      "sources": [
        "native/reference-backend/src/common.cc",
        "native/reference-backend/src/model.cc",
        "native/reference-backend/src/model_parse.cc",
        "native/reference-backend/src/model_nodes.cc",
        "native/reference-backend/src/model_write.cc",
        "native/reference-backend/src/kernels.cc",
        "native/reference-backend/src/kernels_math.cc",
        "native/reference-backend/src/budget.cc",
        "native/reference-backend/src/section.cc"
      ],
      "include_dirs": ["native", "native/reference-backend/src"],
      "cflags": ["-fPIC"],
      "direct_dependent_settings": {
        "include_dirs": ["native", "native/reference-backend/src"]
      },
      "link_settings": {
        "conditions": [["OS=='linux' or OS=='android'", { "libraries": ["-ldl"] }]]
      }
    },
    {
      "target_name": "QnnReference",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": [
        "native/reference-backend/src/backend.cc",
        "native/reference-backend/src/backend_registry.cc",
        "native/reference-backend/src/backend_lifecycle.cc",
        "native/reference-backend/src/backend_device.cc",
        "native/reference-backend/src/backend_perf.cc",
        "native/reference-backend/src/backend_profile.cc",
        "native/reference-backend/src/backend_context.cc",
        "native/reference-backend/src/backend_execute.cc",
        "native/reference-backend/src/backend_errors.cc",
        "native/reference-backend/src/backend_journal.cc",
        "native/reference-backend/src/backend_configs.cc",
        "native/reference-backend/src/backend_sections.cc",
        "native/reference-backend/src/backend_mem.cc",
        "native/reference-backend/src/backend_compose.cc",
        "native/reference-backend/src/backend_opconfig.cc"
      ],
      "dependencies": ["qnnref_core"],
      "conditions": [
        ["OS!='win'", { "product_prefix": "lib" }],
        ["OS=='linux'", {
          # Export exactly the getProviders symbol (as the CMake build does).
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/QnnReference.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    },
    {
      # The rpcmem stand-in: rpcmem/libcdsprpc.<so|dll> (native/reference-backend/CMakeLists.txt).
      "target_name": "cdsprpc",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_dir": "<(PRODUCT_DIR)/rpcmem",
      "product_prefix": "lib",
      "sources": ["native/reference-backend/rpcmem/rpcmem_ref.cc"],
      "conditions": [
        ["OS=='linux'", {
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/libcdsprpc.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    },
    {
      "target_name": "QnnReferenceSystem",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": ["native/reference-backend/src/system.cc"],
      "dependencies": ["qnnref_core"],
      "conditions": [
        ["OS!='win'", { "product_prefix": "lib" }],
        ["OS=='linux'", {
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/QnnReferenceSystem.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    },
    # The model libraries (native/reference-backend/models/models.cmake).
    {
      "target_name": "QnnNodeTestModel",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_name": "QnnNodeTestModel",
      "product_dir": "<(PRODUCT_DIR)/testmodel",
      "sources": ["native/reference-backend/models/test_model.cc", "native/reference-backend/models/graph_builder.cc", "native/reference-backend/models/compose_driver.cc", "native/reference-backend/models/model_log.cc"],
      "include_dirs": ["native", "native/reference-backend/models"],
      "conditions": [
        ["OS!='win'", { "product_prefix": "lib" }],
        ["OS=='linux'", {
          "libraries": ["-ldl"],
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/QnnNodeTestModel.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    },
    {
      "target_name": "QnnNodeTestModelCore214",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_name": "QnnNodeTestModelCore214",
      "product_dir": "<(PRODUCT_DIR)/testmodel",
      "sources": ["native/reference-backend/models/test_model.cc", "native/reference-backend/models/graph_builder.cc", "native/reference-backend/models/compose_driver.cc", "native/reference-backend/models/model_log.cc"],
      "include_dirs": ["native", "native/reference-backend/models"],
      "defines": ["QNN_NODE_TEST_MODEL_CORE_MINOR=14"],
      "conditions": [
        ["OS!='win'", { "product_prefix": "lib" }],
        ["OS=='linux'", {
          "libraries": ["-ldl"],
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/QnnNodeTestModel.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    },
    {
      "target_name": "QnnModelDlc",
      "type": "shared_library",
      "win_delay_load_hook": "false",
      "product_name": "QnnModelDlc",
      "product_dir": "<(PRODUCT_DIR)/modeldlc",
      "sources": ["native/reference-backend/models/model_dlc.cc", "native/reference-backend/models/dlc_container.cc", "native/reference-backend/models/graph_builder.cc", "native/reference-backend/models/compose_driver.cc", "native/reference-backend/models/model_log.cc"],
      "include_dirs": ["native", "native/reference-backend/models"],
      "dependencies": ["qnnref_core"],
      "conditions": [
        ["OS!='win'", { "product_prefix": "lib" }],
        ["OS=='linux'", {
          "libraries": ["-ldl"],
          "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/reference-backend/exports/QnnModelDlc.map", "-Wl,--no-undefined"]
        }],
        ["OS=='mac'", { "xcode_settings": { "DYLIB_INSTALL_NAME_BASE": "@rpath" } }]
      ]
    }
  ]
}
