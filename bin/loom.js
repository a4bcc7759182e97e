#!/usr/bin/env node
// The `loom` command. `npm ci` compiles src/ to dist/ (the `prepare` script); when dist/ is
// missing (a checkout installed with --ignore-scripts), run the TypeScript through tsx instead.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const compiled = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
if (existsSync(compiled)) {
  await import(compiled)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(fileURLToPath(new URL('../src/cli.ts', import.meta.url)))
}
