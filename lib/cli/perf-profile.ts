/** `--perf-profile <name>` of `run` and `bench run`: the HTP performance profile of every graph run (docs/power.md). */
import { Option, type Command } from 'commander';
import { PERF_PROFILES, type PerfProfile } from '../backend/power.js';

export function addPerfProfileOption(cmd: Command, description: string): Command {
  return cmd.addOption(new Option('--perf-profile <name>', description).choices([...PERF_PROFILES]));
}

/** The run options carrying the profile (an empty object without one). */
export function perfRunOptions(perfProfile: PerfProfile | undefined): { perfProfile?: PerfProfile } {
  return perfProfile !== undefined ? { perfProfile } : {};
}
