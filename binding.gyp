# node-gyp build of the addon alone (the end-user fallback when no prebuild matches:
# node-gyp-build runs `node-gyp rebuild`). Developers build with cmake-js
# (`npm run build:native`), which also builds the reference backend.
# Real SDK headers: QNN_SDK_ROOT=<sdk> npx node-gyp rebuild  (or --qnn_sdk_root=<sdk>).
{
  "variables": {
    "qnn_sdk_root%": "<!(node -p \"process.env.QNN_SDK_ROOT || ''\")"
  },
  "targets": [
    {
      "target_name": "qnn_node",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/AddonContext.cc",
        "native/addon/AddonGraph.cc",
        "native/addon/AddonMappedFile.cc",
        "native/addon/AddonRuntime.cc",
        "native/addon/BinaryInfo.cc",
        "native/addon/ContextState.cc",
        "native/addon/Errors.cc",
        "native/addon/Loader.cc",
        "native/addon/LoadDiagnostics.cc",
        "native/addon/LogBridge.cc",
        "native/addon/Mapping.cc",
        "native/addon/ProcessLimits.cc",
        "native/addon/RuntimeState.cc",
        "native/addon/SafeRead.cc",
        "native/addon/TensorMeta.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      },
      "conditions": [
        ["OS=='win'", { "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "UNICODE", "_UNICODE"] }],
        ["OS=='linux' or OS=='android'", { "libraries": ["-ldl", "-lpthread"] }],
        ["qnn_sdk_root!=''", {
          "defines": ["QNN_NODE_USE_SDK_HEADERS"],
          "include_dirs": ["<(qnn_sdk_root)/include/QNN", "<(qnn_sdk_root)/include/QNN/System"]
        }]
      ]
    }
  ]
}
