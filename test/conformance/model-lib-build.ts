/**
 * Builds throwaway copies of the test model library for the core API a real backend
 * reports (a generated model library takes the table of its SDK; SDK 2.25's backends report
 * core 2.18, a 62-slot table), with the host C++ compiler. Nothing here is committed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers.js';

const MODELS = join(REPO_ROOT, 'native', 'reference-backend', 'models');
export const TEST_MODEL_SOURCES = ['test_model.cc', 'graph_builder.cc', 'compose_driver.cc', 'model_log.cc'].map((f) => join(MODELS, f));

/** Compiles the test model library for core API 2.<minor> into `out` (a Linux .so). */
export function buildTestModelForCore(cxx: string, minor: number, out: string): string {
  execFileSync(
    cxx,
    ['-std=c++17', '-O1', '-shared', '-fPIC', '-fvisibility=hidden', `-DQNN_NODE_TEST_MODEL_CORE_MINOR=${minor}`, `-I${join(REPO_ROOT, 'native')}`, `-I${MODELS}`, ...TEST_MODEL_SOURCES, '-ldl', '-o', out],
    { stdio: 'pipe' },
  );
  return out;
}
