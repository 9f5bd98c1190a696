/*
 * qnn-node: the project's own declarations of the HTP memory descriptor, the custom info a
 * QNN_MEM_TYPE_CUSTOM registration points at (docs/qnn-abi.md, "Memory"). Layouts are the
 * same in every measured release (SDK 2.25 and 2.43). Include qnn_api.h instead.
 */
#ifndef QNN_NODE_QNN_HTP_MEM_H
#define QNN_NODE_QNN_HTP_MEM_H

#include "qnn_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t QnnHtpMem_QurtAddress_t;

/* A slice of one rpcmem allocation: the allocation's fd and the slice's byte offset. 16 bytes. */
typedef struct {
  int32_t fd;
  uint64_t offset;
} QnnHtpMem_SharedBufferConfig_t;

/* WEIGHTS_BUFFER and SHARED_SPILLFILL_BUFFER exist from SDK 2.43 (HTP API 5.43) on. */
typedef enum {
  QNN_HTP_MEM_QURT = 0,
  QNN_HTP_MEM_SHARED_BUFFER = 1,
  QNN_HTP_MEM_WEIGHTS_BUFFER = 2,
  QNN_HTP_MEM_SHARED_SPILLFILL_BUFFER = 3,
  QNN_HTP_MEM_UNDEFINED = 0x7FFFFFFF
} QnnHtpMem_Type_t;

/* 32 bytes. For SHARED_BUFFER, size is the whole allocation's bytes (not the tensor's);
 * each registration with another offset yields its own handle. */
typedef struct {
  QnnHtpMem_Type_t type;
  uint64_t size;
  union {
    QnnHtpMem_QurtAddress_t qurtAddress;
    QnnHtpMem_SharedBufferConfig_t sharedBufferConfig;
    QnnHtpMem_SharedBufferConfig_t weightsBufferConfig;
    QnnHtpMem_SharedBufferConfig_t sharedSpillfillBufferConfig;
  };
} QnnMemHtp_Descriptor_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_HTP_MEM_H */
