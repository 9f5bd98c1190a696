import { createBench, printTable } from './harness.js';
import { stageCases } from './pipeline-stages.js';
const bench = createBench('pipeline');
await stageCases(bench);
printTable('stages', bench.results);
