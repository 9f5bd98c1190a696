// libQnnReference: the HTP performance infrastructure (backend_perf.cc).
#pragma once

#include <string>

namespace qnnref {

// QNN_REFERENCE_PERF_INFRA: how deviceGetInfrastructure misbehaves, for tests of clients
// without power control: "missing" (the table's deviceGetInfrastructure slot is NULL),
// "other-type" (an infrastructure whose infraType is not PERF), "no-power-fns" (the perf
// table's power functions are NULL). "" when unset.
std::string perfInfraMode();

}  // namespace qnnref
