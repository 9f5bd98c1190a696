// The reference rpcmem stand-in (libcdsprpc's rpcmem API over host shared memory, for tests
// without a DSP; docs/reference-backend.md, "rpcmem stand-in"). This header declares what
// it exports beyond the real library: the lookup the reference backend uses on Windows,
// where an "fd" is this library's own number, not an OS descriptor.
#pragma once

#include <cstddef>

// Heap and flags every runtime passes (system heap, cached); the stand-in accepts any.
constexpr int kQnnRefRpcmemHeapSystem = 25;
constexpr unsigned kQnnRefRpcmemDefaultFlags = 1;

// Symbol name of `int qnnref_rpcmem_lookup(int fd, void** base, size_t* bytes)`: 0 and the
// allocation's base and size for an fd of a live allocation, -1 otherwise.
#define QNNREF_RPCMEM_LOOKUP_SYMBOL "qnnref_rpcmem_lookup"
typedef int (*QnnRefRpcmemLookupFn)(int fd, void** base, size_t* bytes);
