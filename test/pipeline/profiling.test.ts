/**
 * Profiling a whole pipeline run on the mock backend: per-step graph profiles (synthetic,
 * marked so), host ops timed alongside, grouped by stage and loop iteration; the manifest's
 * `profile` as the run default; typed errors for bad levels.
 */
import { describe, expect, it } from 'vitest';
import { MockBackend, pipelineOpTable, pipelineTracks, stageTable, type Profile } from '../../lib/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { toChromeTrace } from '../../lib/profile/chrome-trace.js';
import { traceShapeErrors } from '../unit/profile/trace-shape.js';
import { ECHO, failure, manifest, useManifestFolder } from './echo-pipeline.js';

const { load } = useManifestFolder();
const steps = [
  { op: 'fill', output: 'x', value: 1, dtype: 'float32', dims: [1] },
  { loop: { count: 3 }, steps: [{ graph: 'echo', inputs: { x: 'x' }, outputs: { y: 'x' } }] },
];

describe('pipeline run profiling', () => {
  it('profiles every graph step of the run, by stage and iteration; host ops are timed alongside', async () => {
    await using p = await load(manifest(steps, { outputs: { y: 'x' } }));
    const result = await p.run({}, { profile: 'detailed' });
    const profile = result.profile!;
    expect(profile.level).toBe('detailed');
    expect(profile.synthetic).toBe(true);
    expect(profile.steps.map((s) => [s.path, s.kind, s.name, s.iteration.join('.')])).toEqual([
      ['/steps/0', 'host', 'fill', ''],
      ['/steps/1/steps/0', 'graph', 'm/echo', '0'],
      ['/steps/1/steps/0', 'graph', 'm/echo', '1'],
      ['/steps/1/steps/0', 'graph', 'm/echo', '2'],
    ]);
    const graphSteps = profile.steps.filter((s) => s.kind === 'graph');
    for (const s of graphSteps) {
      const p1 = s.profile as Profile;
      expect(p1.synthetic).toBe(true);
      expect(p1.events[0]).toMatchObject({ typeName: 'execute', name: 'mock:graphExecute echo' });
      expect(p1.events[0].children.map((c) => c.name)).toEqual(['mock:latency', 'mock:compute (seeded)', 'mock:copy outputs']);
    }
    expect(graphSteps.map((s) => s.startMs)).toEqual([...graphSteps.map((s) => s.startMs)].sort((a, b) => a - b));
    expect(profile.steps[0].profile).toBeUndefined();

    const stages = stageTable(profile);
    expect(stages.map((r) => [r.stage, r.kind, r.calls])).toEqual([
      ['/steps/0 fill', 'host', 1],
      ['/steps/1/steps/0 m/echo', 'graph', 3],
    ]);
    // The stage's execute time is the sum of its runs' execute events (not just any number).
    expect(stages[1].executeUs).toBe(graphSteps.reduce((sum, st) => sum + (st.profile as Profile).events[0].value, 0));
    expect(stages[0].executeUs).toBeUndefined();
    expect(stages.reduce((s, r) => s + r.percent, 0)).toBeCloseTo(100, 5);
    const ops = pipelineOpTable(profile);
    expect(ops.rows.map((r) => [r.group, r.name, r.count]).sort()).toEqual([
      ['/steps/1/steps/0 m/echo', 'mock:compute (seeded)', 3],
      ['/steps/1/steps/0 m/echo', 'mock:copy outputs', 3],
      ['/steps/1/steps/0 m/echo', 'mock:latency', 3],
    ]);
    const trace = toChromeTrace(pipelineTracks(profile));
    expect(traceShapeErrors(JSON.parse(JSON.stringify(trace)))).toEqual([]);
    expect(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name)).toEqual(['/steps/0 fill', '/steps/1/steps/0 m/echo']);
  });

  it("the manifest's profile is the default; a run's own option wins; no profile: nothing recorded", async () => {
    await using p = await load(manifest(steps, { profile: 'basic' }));
    const byManifest = await p.run();
    expect(byManifest.profile?.level).toBe('basic');
    expect(byManifest.profile?.steps.find((s) => s.kind === 'graph')?.profile?.events[0].children).toEqual([]);
    expect((await p.run({}, { profile: 'detailed' })).profile?.level).toBe('detailed');
    await using plain = await load(manifest(steps));
    expect((await plain.run()).profile).toBeUndefined();
  });

  it('refuses a bad level in the run options and in the manifest', async () => {
    await using p = await load(manifest(steps));
    const err = await failure(p.run({}, { profile: 'everything' as never }));
    expect([err.code, err.message]).toEqual(['ERR_INVALID_ARG', `Expected one of 'basic', 'detailed', 'optrace', or false for options.profile but received "everything"`]);
    const bad = await failure(load(manifest(steps, { profile: 'full' })));
    expect(bad.code).toBe('MANIFEST_INVALID');
    expect(bad.message).toContain('profile');
  });
});

describe('mock backend profiling', () => {
  it('synthetic events from JS timings of what it simulates, on run, runSync and load', async () => {
    await using backend = new MockBackend({ latencyMs: 5 });
    const ctx = await backend.loadContext('m.bin', { graphs: [ECHO], profile: 'detailed' });
    expect(ctx.loadProfile).toMatchObject({ level: 'detailed', synthetic: true });
    expect(ctx.loadProfile!.events[0].children.map((c) => c.name)).toEqual(['mock:graph echo']);
    const g = ctx.graphs[0];
    const x = { x: new Tensor('float32', Float32Array.of(2), [1]) };
    let got: Profile | undefined;
    await g.run(x, { profile: 'detailed', onProfile: (p) => (got = p) });
    expect(g.lastProfile).toBe(got);
    const [exec] = got!.events;
    const latency = exec.children.find((c) => c.name === 'mock:latency')!;
    expect(latency.value).toBeGreaterThanOrEqual(4000); // the simulated 5 ms, in µs
    expect(exec.value).toBeGreaterThanOrEqual(exec.children.reduce((s, c) => s + c.value, 0) - 3);
    g.runSync(x, { profile: 'basic' });
    expect(g.lastProfile?.level).toBe('basic');
    expect(g.lastProfile?.events[0].children).toEqual([]);
    await g.run(x);
    expect(g.lastProfile?.level).toBe('basic'); // an unprofiled run leaves the last profile alone
    await expect(g.run(x, { profile: 'loud' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(backend.loadContext('m.bin', { graphs: [ECHO], profile: 7 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it("profile: false turns the manifest's profile off for one run; anything else is refused", async () => {
    await using p = await load({ ...manifest(steps, { outputs: { y: 'x' } }), profile: 'basic' });
    expect((await p.run({})).profile?.level).toBe('basic');
    expect((await p.run({}, { profile: false })).profile).toBeUndefined();
    await expect(p.run({}, { profile: 'full' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining("or false for options.profile") });
  });
});
