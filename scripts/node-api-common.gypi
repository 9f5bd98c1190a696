# common.gypi of the Node-API-only "nodedir" that scripts/nodedir.cjs lays out from the
# node-api-headers package (node-gyp includes it with -I). Node's own common.gypi configures
# builds of V8, libuv and OpenSSL; an addon that uses Node-API alone needs only the build
# configurations and the usual flags below.
{
  'variables': {
    'standalone_static_library%': 0,
    'library%': 'static_library',
    'component%': 'static_library',
    'visibility%': 'hidden',
    'clang%': 0,
    'node_shared%': 'false',
    'node_module_version%': '',
    'msvs_multi_core_compile': '0',
  },
  'target_defaults': {
    'default_configuration': 'Release',
    'configurations': {
      'Debug': {
        'defines': ['DEBUG', '_DEBUG'],
        'cflags': ['-g', '-O0'],
        'xcode_settings': { 'GCC_OPTIMIZATION_LEVEL': '0', 'GCC_GENERATE_DEBUGGING_SYMBOLS': 'YES' },
      },
      'Release': {
        'defines': ['NDEBUG'],
        'cflags': ['-O3'],
        'xcode_settings': { 'GCC_OPTIMIZATION_LEVEL': '3', 'DEAD_CODE_STRIPPING': 'YES' },
      },
    },
    'cflags': ['-pthread', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    'cflags_cc': ['-std=gnu++17'],
    'ldflags': ['-pthread'],
    'conditions': [
      ['OS=="mac"', { 'cflags!': ['-pthread'], 'ldflags!': ['-pthread'] }],
    ],
  },
}
