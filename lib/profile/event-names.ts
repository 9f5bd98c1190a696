/**
 * Names for QNN profile event types and units: the core API's (QnnProfile.h) and the HTP
 * backend's (QnnHtpProfile.h, codes 1002 and up). Names are qnn-node's own, derived from
 * what each code measures.
 */
import type { ProfileUnit } from './types.js';

const CORE_TYPES: Readonly<Record<number, string>> = {
  100: 'init',
  300: 'finalize',
  400: 'execute',
  404: 'node',
  405: 'execute_queue_wait',
  406: 'execute_preprocess',
  407: 'execute_device',
  408: 'execute_postprocess',
  500: 'deinit',
  600: 'trace',
  1000: 'backend',
};

const HTP_TYPES: Readonly<Record<number, string>> = {
  1002: 'context_load_host_rpc_time',
  1003: 'context_load_htp_rpc_time',
  1004: 'context_load_accel_time',
  2001: 'finalize_host_rpc_time',
  2002: 'finalize_htp_rpc_time',
  2003: 'finalize_accel_time',
  2004: 'finalize_perf_estimate',
  2005: 'finalize_perf_estimate_mode',
  2006: 'finalize_sim_exec_cycles',
  2007: 'finalize_sim_exec_lower_cycles',
  2008: 'finalize_sim_exec_upper_cycles',
  2009: 'finalize_bandwidth_stats',
  2010: 'finalize_bandwidth_stats_htp_id',
  2011: 'finalize_input_fill',
  2012: 'finalize_intermediate_fill',
  2013: 'finalize_intermediate_spill',
  2014: 'finalize_inter_htp_fill',
  2015: 'finalize_inter_htp_spill',
  2016: 'finalize_output_spill',
  2017: 'finalize_missing_cost_ops',
  2018: 'finalize_missing_cost_op_id',
  3001: 'execute_host_rpc_time',
  3002: 'execute_htp_rpc_time',
  3003: 'accel_execute_cycles',
  3004: 'accel_execute_time',
  3005: 'misc_accel_execute_time',
  3006: 'yield_instance_release_time',
  3007: 'yield_instance_wait_time',
  3008: 'yield_instance_restore_time',
  3009: 'yield_count',
  3010: 'vtcm_acquire_time',
  3011: 'resource_power_up_time',
  3012: 'accel_exclusive_wait_time',
  4001: 'deinit_host_rpc_time',
  4002: 'deinit_htp_rpc_time',
  4003: 'deinit_accel_time',
  5001: 'node_wait',
  5002: 'node_overlap',
  5003: 'node_wait_overlap',
  5004: 'node_resource_mask',
  5005: 'node_critical_bg_op_id',
  5006: 'node_wait_bg_op_id',
  6001: 'critical_accel_execute_cycles',
  8001: 'hvx_threads',
  9001: 'apply_binary_section_qnn',
  9002: 'apply_binary_section_rpc',
  9003: 'apply_binary_section_qnn_accel',
  9004: 'apply_binary_section_accel',
  10001: 'update_binary_section_qnn',
  10002: 'update_extract_info',
  10003: 'update_check_fix_tensors',
  10004: 'update_deserialize_aux',
  10005: 'update_execute_tensors',
  10006: 'update_repackage',
  10007: 'update_free_resources',
};

const UNITS: Readonly<Record<number, ProfileUnit>> = { 1: 'us', 2: 'bytes', 3: 'cycles', 4: 'count', 5: 'object', 6: 'none', 1000: 'backend' };

/** 'execute', 'htp.accel_execute_time', or 'type <n>' for a code qnn-node does not know. */
export function eventTypeName(type: number): string {
  const core = CORE_TYPES[type];
  if (core) return core;
  const htp = HTP_TYPES[type];
  return htp ? `htp.${htp}` : `type ${type}`;
}

export function eventUnitName(unit: number): ProfileUnit {
  return UNITS[unit] ?? 'unknown';
}

/** QNN_PROFILE_EVENTTYPE_* codes the tables and the trace export treat specially. */
export const EVENT_TYPE = { init: 100, execute: 400, node: 404, deinit: 500 } as const;

/** HTP event codes (QnnHtpProfile.h) the tables and the trace export use. */
export const HTP_EVENT_TYPE = { accelExecuteCycles: 3003, accelExecuteTime: 3004 } as const;
