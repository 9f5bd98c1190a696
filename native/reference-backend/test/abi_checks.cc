// Compiles the ABI static_asserts (native/qnn/qnn_abi_checks.h) and the status-name table
// in whichever header mode this translation unit is built with.
#include "qnn/qnn_api.h"
#include "qnn/qnn_abi_checks.h"
#include "qnn/qnn_abi_compat.h"
#include "qnn/qnn_status_names.h"

namespace {
using namespace qnn_node::abi;
static_assert(coreSlotCount(7) == 44, "2.7 table");
static_assert(coreSlotCount(10) == 48, "2.10 table");
static_assert(coreSlotCount(14) == 55, "2.14 table");
static_assert(coreSlotCount(18) == 62 && coreSlotCount(21) == 62, "2.18/2.21 table");
static_assert(coreSlotCount(23) == 64, "2.23 table");
static_assert(coreSlotCount(30) == 69, "2.30 table");
static_assert(coreSlotCount(32) == 71, "2.32 table");
static_assert(oldLayoutIndex(kBackendSetConfig) == -1 && oldLayoutIndex(kGraphExecute) == 19, "old layout");
static_assert(graphInfoStride(Version{1, 1, 0}, 23) == 48 && graphInfoStride(Version{1, 1, 0}, 25) == 64 &&
                  graphInfoStride(Version{1, 2, 0}, 0) == 88,
              "GraphInfo stride rule");
static_assert(tensorStride(Version{2, 13, 0}) == 120 && tensorStride(Version{2, 14, 0}) == 144, "tensor stride");
}  // namespace

const char* qnnref_abi_checks_probe() { return qnn_node_status_name(6004); }
