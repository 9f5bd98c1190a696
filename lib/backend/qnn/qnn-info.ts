/** Qnn#info: the native runtime's answer, frozen into the public QnnInfo shape. */
import type { NativePlatformInfo, NativeRuntime, NativeRuntimeInfo } from '../../native/AddonTypes.js';
import type { QnnInfo, QnnPlatformInfo } from './Qnn.js';
import { powerInfoOf } from './qnn-power.js';
import { sharedMemoryInfoOf } from './shared-memory.js';

function freezePlatform(p: NativePlatformInfo): QnnPlatformInfo {
  return Object.freeze({
    version: p.version,
    devices: Object.freeze(
      p.devices.map((d) => Object.freeze({ id: d.id, type: d.type, cores: Object.freeze(d.cores.map((c) => Object.freeze({ ...c }))), hasExtension: d.hasExtension })),
    ),
  });
}

export function toInfo(n: NativeRuntimeInfo, reference: boolean, sdkHeaders: boolean, runtime: NativeRuntime): QnnInfo {
  return Object.freeze({
    backendPath: n.backendPath,
    systemPath: n.systemPath,
    reference,
    buildId: n.buildId,
    backendId: n.backendId,
    providerName: n.providerName,
    coreApiVersion: n.coreApiVersion,
    backendApiVersion: n.backendApiVersion,
    systemApiVersion: n.systemApiVersion,
    systemError: n.systemError,
    graphInfoStride: n.graphInfoStride,
    device: n.device,
    deviceError: n.deviceError,
    platform: n.platform && freezePlatform(n.platform),
    platformError: n.platformError,
    logging: n.logging,
    coreTableSlots: n.coreTableSlots,
    providers: Object.freeze(n.providers.map((p) => Object.freeze({ ...p }))),
    sdkHeaders,
    power: powerInfoOf(n),
    sharedMemory: sharedMemoryInfoOf(n, runtime),
  });
}
