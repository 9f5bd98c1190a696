/*
 * qnn-node: the one header native code includes for the QNN C API.
 *
 * By default it uses the project's own declarations (qnn_common.h, qnn_types.h,
 * qnn_interface.h, qnn_profile.h, qnn_mem.h, qnn_system.h, qnn_htp.h, qnn_htp_mem.h), written
 * from the layout facts in docs/qnn-abi.md. Define QNN_NODE_USE_SDK_HEADERS (and put <QNN
 * SDK>/include/QNN on the include path) to compile against the real SDK headers instead; code
 * that includes this file must compile in both modes, so it may use only names both declare
 * (the SDK's C names) plus the QnnNode_* names defined at the end of this file.
 *
 * Both modes describe the newest layout they know. To talk to an OLDER library use
 * qnn_abi_compat.h (slot availability, tensor and GraphInfo strides), never sizeof().
 */
#ifndef QNN_NODE_QNN_API_H
#define QNN_NODE_QNN_API_H

#if defined(QNN_NODE_USE_SDK_HEADERS)
#include "QnnInterface.h"
#include "QnnCommon.h"
#include "QnnTypes.h"
#include "QnnBackend.h"
#include "QnnContext.h"
#include "QnnGraph.h"
#include "QnnTensor.h"
#include "QnnLog.h"
#include "QnnError.h"
#include "QnnDevice.h"
#include "QnnProfile.h"
#include "QnnOpPackage.h"
#include "System/QnnSystemInterface.h"
#include "System/QnnSystemContext.h"
#include "HTP/QnnHtpDevice.h"
#include "HTP/QnnHtpPerfInfrastructure.h"
#include "HTP/QnnHtpContext.h"
#include "HTP/QnnHtpGraph.h"
#include "HTP/QnnHtpCommon.h"
#include "HTP/QnnHtpMem.h"
#if QNN_API_VERSION_MAJOR != 2 || QNN_API_VERSION_MINOR < 14
#error "qnn-node needs QNN SDK headers of core API 2.14 or newer (QAIRT/QNN SDK 2.20+)"
#endif
#define QNN_NODE_HEADERS_FROM_SDK 1
#else
#include "qnn_common.h"
#include "qnn_types.h"
#include "qnn_interface.h"
#include "qnn_system.h"
#include "qnn_htp.h"
#include "qnn_htp_mem.h"
#define QNN_NODE_HEADERS_FROM_SDK 0
#endif
/* HTP custom configs: own declarations in own mode, QnnNode_* layout facts in both. */
#include "qnn_htp_configs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dlsym targets. */
#define QNN_NODE_INTERFACE_GET_PROVIDERS_SYMBOL "QnnInterface_getProviders"
#define QNN_NODE_SYSTEM_INTERFACE_GET_PROVIDERS_SYMBOL "QnnSystemInterface_getProviders"

typedef Qnn_ErrorHandle_t (*QnnNode_InterfaceGetProvidersFn_t)(
    const QnnInterface_t*** providerList, uint32_t* numProviders);
typedef Qnn_ErrorHandle_t (*QnnNode_SystemInterfaceGetProvidersFn_t)(
    const QnnSystemInterface_t*** providerList, uint32_t* numProviders);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_API_H */
