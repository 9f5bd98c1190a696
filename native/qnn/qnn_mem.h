/*
 * qnn-node: the project's own declarations of the QNN memory descriptors memRegister takes
 * (ION, custom/HTP, DMA-BUF). Layouts: docs/qnn-abi.md. Include qnn_api.h instead.
 */
#ifndef QNN_NODE_QNN_MEM_H
#define QNN_NODE_QNN_MEM_H

#include "qnn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An fd field holds this when it does not apply. */
#define QNN_MEM_INVALID_FD -1

/* Shape of the registered memory: rank, dims and an optional backend format string
 * (UBWC image formats); plain tensors pass NULL. 24 bytes. */
typedef struct {
  uint32_t numDim;
  uint32_t* dimSize;
  const char* shapeConfig;
} Qnn_MemShape_t;

typedef enum {
  QNN_MEM_TYPE_ION = 1,
  QNN_MEM_TYPE_CUSTOM = 2,
  QNN_MEM_TYPE_DMA_BUF = 3,
  QNN_MEM_TYPE_UNDEFINED = 0x7FFFFFFF
} Qnn_MemType_t;

typedef struct {
  int32_t fd;
} Qnn_MemIonInfo_t;

/* Backend-specific descriptor (HTP: QnnMemHtp_Descriptor_t*, qnn_htp_mem.h). */
typedef void* Qnn_MemInfoCustom_t;

typedef struct {
  int32_t fd;
  void* data;
} Qnn_MemDmaBufInfo_t;

/* 48 bytes; there is no version field: the descriptor starts with its shape. */
typedef struct {
  Qnn_MemShape_t memShape;
  Qnn_DataType_t dataType;
  Qnn_MemType_t memType;
  union {
    Qnn_MemIonInfo_t ionInfo;
    Qnn_MemInfoCustom_t customInfo;
    Qnn_MemDmaBufInfo_t dmaBufInfo;
  };
} Qnn_MemDescriptor_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QNN_NODE_QNN_MEM_H */
