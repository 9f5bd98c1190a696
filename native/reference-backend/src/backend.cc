// libQnnReference: the core QNN interface on the CPU (docs/reference-backend.md).
// A TEST DOUBLE, not a Qualcomm backend.
#include <algorithm>
#include <cstdio>
#include <iterator>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "backend_api.h"
#include "backend_configs.h"
#include "backend_mem.h"
#include "backend_perf.h"
#include "backend_registry.h"
#include "qnn/qnn_abi_checks.h"

namespace qnnref {
namespace {

namespace abi = qnn_node::abi;

// Fills slots that must not be NULL in emulated pre-2.9 tables (a client calling through
// the wrong slot then gets an error code, as with a real old library, not a NULL call).
Qnn_ErrorHandle_t notSupportedStub() { return QNN_COMMON_ERROR_NOT_SUPPORTED; }

// ---- providers ----------------------------------------------------------------------------

using Slot = void (*)();
template <typename F>
Slot slot(F f) {
  return reinterpret_cast<Slot>(f);
}

// QNN_REFERENCE_PROFILE_EXTENDED=0: leave profileGetExtendedEventData NULL, as a backend
// that does not implement it (the slot exists from core 2.9 on).
bool extendedProfileEmulated() {
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_PROFILE_EXTENDED") : nullptr;
  return !(env && std::strcmp(env, "0") == 0);
}

void fillTable(Slot* s) {  // 2.9+ order, kCoreSlotCount entries
  s[abi::kPropertyHasCapability] = slot(propertyHasCapability);
  s[abi::kBackendCreate] = slot(backendCreate);
  s[abi::kBackendSetConfig] = slot(backendSetConfig);
  s[abi::kBackendGetApiVersion] = slot(backendGetApiVersion);
  s[abi::kBackendGetBuildId] = slot(backendGetBuildId);
  s[abi::kBackendGetSupportedOperations] = slot(backendGetSupportedOperations);
  s[abi::kBackendValidateOpConfig] = slot(backendValidateOpConfig);
  s[abi::kBackendFree] = slot(backendFree);
  s[abi::kContextGetBinarySize] = slot(contextGetBinarySize);
  s[abi::kContextGetBinary] = slot(contextGetBinary);
  s[abi::kContextCreate] = slot(contextCreate);
  s[abi::kContextCreateFromBinary] = slot(contextCreateFromBinary);
  s[abi::kGraphCreate] = slot(graphCreate);
  s[abi::kGraphAddNode] = slot(graphAddNode);
  s[abi::kGraphFinalize] = slot(graphFinalize);
  s[abi::kTensorCreateGraphTensor] = slot(tensorCreateGraphTensor);
  s[abi::kContextFree] = slot(contextFree);
  s[abi::kGraphRetrieve] = slot(graphRetrieve);
  s[abi::kGraphSetConfig] = slot(graphSetConfig);
  s[abi::kGraphExecute] = slot(graphExecute);
  s[abi::kLogCreate] = slot(logCreate);
  s[abi::kLogSetLogLevel] = slot(logSetLogLevel);
  s[abi::kLogFree] = slot(logFree);
  s[abi::kProfileCreate] = slot(profileCreate);
  s[abi::kProfileGetEvents] = slot(profileGetEvents);
  s[abi::kProfileGetSubEvents] = slot(profileGetSubEvents);
  s[abi::kProfileGetEventData] = slot(profileGetEventData);
  s[abi::kProfileSetConfig] = slot(profileSetConfig);
  if (extendedProfileEmulated()) s[abi::kProfileGetExtendedEventData] = slot(profileGetExtendedEventData);
  s[abi::kProfileFree] = slot(profileFree);
  s[abi::kDeviceGetPlatformInfo] = slot(deviceGetPlatformInfo);
  s[abi::kDeviceFreePlatformInfo] = slot(deviceFreePlatformInfo);
  s[abi::kDeviceGetInfrastructure] = slot(deviceGetInfrastructure);
  s[abi::kDeviceCreate] = slot(deviceCreate);
  s[abi::kDeviceFree] = slot(deviceFree);
  s[abi::kErrorGetMessage] = slot(errorGetMessage);
  s[abi::kErrorGetVerboseMessage] = slot(errorGetVerboseMessage);
  s[abi::kErrorFreeVerboseMessage] = slot(errorFreeVerboseMessage);
  s[abi::kContextValidateBinary] = slot(contextValidateBinary);
  s[abi::kContextGetBinarySectionSize] = slot(contextGetBinarySectionSize);
  s[abi::kContextGetBinarySection] = slot(contextGetBinarySection);
  s[abi::kContextApplyBinarySection] = slot(contextApplyBinarySection);
  s[abi::kMemRegister] = slot(memRegister);
  s[abi::kMemDeRegister] = slot(memDeRegister);
}

struct Provider {
  GuardedBlock block;
  const QnnInterface_t* list[1];
};
std::mutex g_providersMu;
// Never freed (not even at exit): provider structs stay valid while the library is loaded.
auto* const g_providers = new std::map<std::string, Provider*>();

const char* const kProviderName = "QNN_NODE_REFERENCE";

// The slots QNN_REFERENCE_NULL_SLOTS also takes by name.
struct NamedSlot {
  const char* name;
  uint32_t slot;
};
const NamedSlot kNamedSlots[] = {
    {"graphSetConfig", abi::kGraphSetConfig},
    {"memRegister", abi::kMemRegister},
    {"memDeRegister", abi::kMemDeRegister},
    {"backendValidateOpConfig", abi::kBackendValidateOpConfig},
    {"contextCreate", abi::kContextCreate},
    {"contextGetBinarySize", abi::kContextGetBinarySize},
    {"contextGetBinary", abi::kContextGetBinary},
    {"graphCreate", abi::kGraphCreate},
    {"graphAddNode", abi::kGraphAddNode},
    {"graphFinalize", abi::kGraphFinalize},
    {"tensorCreateGraphTensor", abi::kTensorCreateGraphTensor},
};

// QNN_REFERENCE_NULL_SLOTS=<slot>[,<slot>...]: core-table slots left NULL, as a library that
// declares a core version but does not implement every function of it. A slot is its 2.9+
// index or, for the slots tests name, its function name (kNamedSlots).
std::vector<uint32_t> nullSlots() {
  std::vector<uint32_t> out;
  const char* env = knobsApply() ? std::getenv("QNN_REFERENCE_NULL_SLOTS") : nullptr;
  if (!env) return out;
  std::string list(env);
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto named = std::find_if(std::begin(kNamedSlots), std::end(kNamedSlots), [&](const NamedSlot& n) { return item == n.name; });
    if (named != std::end(kNamedSlots)) {
      out.push_back(named->slot);
    } else if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos && item.size() < 4) {
      unsigned long v = std::stoul(item);
      if (v < abi::kCoreSlotCount) out.push_back(uint32_t(v));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

const Provider* providerFor(const Emulation& e) {
  // QNN_REFERENCE_PERF_INFRA=missing: a table without deviceGetInfrastructure.
  bool noInfraSlot = perfInfraMode() == "missing";
  std::vector<uint32_t> nulled = nullSlots();
  std::string key = versionString(e.core) + "/" + versionString(e.backend) + (noInfraSlot ? "/no-infra" : "") +
                    (extendedProfileEmulated() ? "" : "/no-extended-profile") + "/id" + std::to_string(emulatedBackendId());
  for (uint32_t k : nulled) key += "/-" + std::to_string(k);
  std::lock_guard<std::mutex> lock(g_providersMu);
  auto it = g_providers->find(key);
  if (it != g_providers->end()) return it->second;

  Slot table[abi::kCoreSlotCount] = {};
  fillTable(table);
  if (noInfraSlot) table[abi::kDeviceGetInfrastructure] = nullptr;
  for (uint32_t k : nulled) table[k] = nullptr;
  uint32_t count = abi::coreSlotCount(e.core.minor);
  std::vector<Slot> slots(count, nullptr);
  if (e.core.minor < abi::kAppendOnlySinceMinor) {
    for (uint32_t k = 0; k < 48; ++k) {
      int old = abi::oldLayoutIndex(k);
      if (old >= 0) slots[size_t(old)] = table[k] ? table[k] : slot(notSupportedStub);
    }
  } else {
    for (uint32_t k = 0; k < count; ++k) slots[k] = table[k];
  }
  size_t size = abi::kInterfaceTableOffset + count * abi::kSlotSize;
  GuardedBlock block = guardedAlloc(size);
  if (!block.ptr) return nullptr;
  auto* mem = static_cast<uint8_t*>(block.ptr);
  uint32_t backendId = emulatedBackendId();
  const char* name = kProviderName;
  Qnn_ApiVersion_t api;
  api.coreApiVersion = Qnn_Version_t{e.core.major, e.core.minor, e.core.patch};
  api.backendApiVersion = Qnn_Version_t{e.backend.major, e.backend.minor, e.backend.patch};
  std::memcpy(mem + offsetof(QnnInterface_t, backendId), &backendId, 4);
  std::memcpy(mem + offsetof(QnnInterface_t, providerName), &name, sizeof name);
  std::memcpy(mem + offsetof(QnnInterface_t, apiVersion), &api, sizeof api);
  std::memcpy(mem + abi::kInterfaceTableOffset, slots.data(), count * abi::kSlotSize);
  auto* p = new Provider();
  p->block = block;
  p->list[0] = reinterpret_cast<const QnnInterface_t*>(mem);
  (*g_providers)[key] = p;
  return p;
}

}  // namespace
}  // namespace qnnref

QNNREF_EXPORT Qnn_ErrorHandle_t QnnInterface_getProviders(const QnnInterface_t*** providerList, uint32_t* numProviders) {
  using namespace qnnref;
  if (!providerList || !numProviders) return QNN_INTERFACE_ERROR_INVALID_PARAMETER;
  Emulation e;
  std::string error;
  if (!readEmulation(&e, &error)) {
    std::fprintf(stderr, "libQnnReference: %s\n", error.c_str());
    return QNN_INTERFACE_ERROR_NOT_SUPPORTED;
  }
  const Provider* p = providerFor(e);
  if (!p) return QNN_COMMON_ERROR_MEM_ALLOC;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_emu = e;
  }
  *providerList = const_cast<const QnnInterface_t**>(p->list);
  *numProviders = 1;
  return QNN_SUCCESS;
}
