// The documentation snippet extractor (test/install/snippets.ts): which fenced blocks run how.
import { describe, expect, it } from 'vitest';
import { extractSnippets } from './snippets.js';

const md = [
  '# Title',
  '```ts',
  "import { Tensor } from 'qnn-node';",
  '```',
  'text',
  '```ts device-only',
  'await using qnn = await Qnn.load();',
  '```',
  '````md',
  '```ts',
  'inside another fence: not a snippet',
  '```',
  '````',
  '~~~js test',
  "import { it } from 'vitest';",
  '~~~',
  '```typescript api',
  'run(inputs?): Promise<Result>;',
  '```',
  '```sh',
  'npx qnn-node run',
  '```',
  '```',
  'plain',
  '```',
].join('\n');

describe('extractSnippets', () => {
  it('finds js/ts blocks by their language tag and reads the flag after it', () => {
    const s = extractSnippets(md, 'docs/x.md');
    expect(s.map((x) => [x.line, x.lang, x.kind])).toEqual([
      [2, 'ts', 'program'],
      [6, 'ts', 'device-only'],
      [14, 'js', 'test'],
      [17, 'ts', 'api'],
    ]);
    expect(s[0].code).toBe("import { Tensor } from 'qnn-node';\n");
    expect(s[0].id).toBe('docs-x-md-2');
  });

  it('refuses a flag it does not know, naming the file and line', () => {
    expect(() => extractSnippets('```ts devise-only\nx\n```\n', 'README.md')).toThrow(/README\.md:1: unknown snippet flag\(s\) devise-only/);
  });
});
