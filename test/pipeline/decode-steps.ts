/**
 * The decode half of the tiny LLM-shaped manifests (test/pipeline/reference.test.ts and
 * the manifest fuzzer's seeds): the lm-head on the prompt's last prefill position, a KV
 * cache filled from the prefill, then one position per loop turn — emit, embed, decode
 * (mask on slots [0, pos)), write the new KV row at pos, lm-head, sample — until a stop id
 * or max_new_tokens.
 * Expects `n` (prompt length), `present_kv`, the graphs llm/decode and lmhead/lm_head, the
 * params max_new_tokens and stop_ids and the assets tokenizer and embed.
 */
export interface DecodeStepNames {
  /** The prefill's hidden states (all positions). */
  readonly prefillHidden: string;
  /** The KV cache's name and dims. */
  readonly kv: string;
  readonly kvDims: readonly number[];
  /** Length of the decode graph's attention mask. */
  readonly maskSize: number;
  /** Temperature of the first sample (by default the sample op's own). */
  readonly temperature?: string;
}

export function decodeSteps(o: DecodeStepNames): Record<string, unknown>[] {
  return [
    { op: 'add', inputs: { a: 'n', b: -1 }, output: 'last' },
    { op: 'slice', inputs: { input: o.prefillHidden, start: 'last' }, output: 'hidden', axis: 1, length: 1 },
    { graph: 'lmhead/lm_head', inputs: { hidden_states: 'hidden' }, outputs: { logits: 'logits' } },
    { op: 'set', value: [], output: 'generated' },
    { op: 'sample', inputs: { logits: 'logits', history: 'generated' }, output: 'next', ...(o.temperature === undefined ? {} : { temperature: o.temperature }) },
    { op: 'fill', output: o.kv, value: 0, dtype: 'float32', dims: [...o.kvDims] },
    { op: 'kv_write', inputs: { cache: o.kv, source: 'present_kv', position: 0 }, axis: 1 },
    { op: 'set', inputs: { value: 'n' }, output: 'pos' },
    {
      loop: { max: '$max_new_tokens', until: { value: 'next', in: '$stop_ids' } },
      steps: [
        { op: 'emit', inputs: { token: 'next' }, tokenizer: 'tokenizer' },
        { op: 'append', inputs: { list: 'generated', value: 'next' } },
        { op: 'length', inputs: { input: 'generated' }, output: 'count' },
        { break: { value: 'count', gte: '$max_new_tokens' } },
        { op: 'embed', inputs: { ids: 'next' }, output: 'step_emb', table: 'embed', dtype: 'float32' },
        { op: 'position_ids', inputs: { start: 'pos' }, output: 'step_pos', length: 1, dtype: 'int32' },
        { op: 'add', inputs: { a: 'pos', b: 1 }, output: 'pos_next' },
        // Slots [0, pos) only: slot pos gets this step's KV after the call (the graph attends to its own new row).
        { op: 'attention_mask', inputs: { length: 'pos' }, output: 'step_mask', size: o.maskSize, dtype: 'float32' },
        { graph: 'llm/decode', inputs: { inputs_embeds: 'step_emb', position_ids: 'step_pos', attention_mask: 'step_mask', past_kv: o.kv }, outputs: { hidden_states: 'step_hidden', new_kv: 'step_kv' } },
        { op: 'kv_write', inputs: { cache: o.kv, source: 'step_kv', position: 'pos' }, axis: 1 },
        { op: 'set', inputs: { value: 'pos_next' }, output: 'pos' },
        { graph: 'lmhead/lm_head', inputs: { hidden_states: 'step_hidden' }, outputs: { logits: 'logits' } },
        { op: 'sample', inputs: { logits: 'logits', history: 'generated' }, output: 'next' },
      ],
    },
    { op: 'detokenize', inputs: { tokens: 'generated' }, output: 'text', tokenizer: 'tokenizer' },
  ];
}
