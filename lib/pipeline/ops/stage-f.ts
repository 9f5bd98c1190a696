/**
 * Host ops for models whose graphs take host-computed embeddings and rope tables (the
 * Qwen3-VL card's "Stage F"): rope tables, the multimodal position layout, and (in
 * ./vision-ops.ts) patch extraction, matmul with weights from files and the position
 * embedding add.
 */
import type { HostOpFn } from '../hostops.js';
import { mropePositions, ropeTable } from './rope-ops.js';
import { matmul, patchify, posEmbedAdd } from './vision-ops.js';

export const STAGE_F_HOST_OPS: Readonly<Record<string, HostOpFn>> = {
  rope_table: ropeTable,
  mrope_positions: mropePositions,
  patchify,
  matmul,
  pos_embed_add: posEmbedAdd,
};
