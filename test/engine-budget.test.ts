// A task over its time budget has its engine thread terminated, and a closing pool terminates all
// of them. A thread inside an ONNX Runtime call (the MRZ text recognizer, the face recognizer) must
// not be terminated there: the runtime would abort the whole process. This runs a pool in a
// process of its own, gives passport reads budgets that end at every stage of the read, closes
// the pool while threads are busy, and expects a clean exit with every late read a timeout.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '..')

const SCRIPT = `
import { createEnginePool } from './src/engine/pool.ts'
import { passport } from './test/specimens.ts'
const image = new Uint8Array((await passport({ adult: true })).image)
const asOf = new Date().toISOString().slice(0, 10)
const pool = createEnginePool(2)
const outcomes = {}
const count = (key) => (outcomes[key] = (outcomes[key] ?? 0) + 1)
// Budgets from 'before the recognizer has loaded' to 'the whole read'.
const budgets = [40, 90, 160, 250, 350, 500, 700, 950, 1300, 1800, 2500, 30000]
for (const round of [0, 1]) {
  await Promise.all(budgets.map(async (budget, i) => {
    const result = await pool.inspect({ bytes: image, asOf }, budget + 37 * ((i + round) % 5))
    count(result.ok ? 'read' : result.error.code)
  }))
}
// Close while reads are in flight.
const late = budgets.map((budget) => pool.inspect({ bytes: image, asOf }, budget))
await new Promise((resolve) => setTimeout(resolve, 400))
await pool.close()
for (const result of await Promise.all(late)) count(result.ok ? 'read' : result.error.code)
console.log(JSON.stringify(outcomes))
`

function runScript(): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code, signal) => resolve({ code, signal, out }))
  })
}

describe('engine time budgets', () => {
  it(
    'terminates over-budget and closing threads without aborting the process',
    { timeout: 240_000 },
    async () => {
      const { code, signal, out } = await runScript()
      expect({ code, signal }, out).toEqual({ code: 0, signal: null })
      const outcomes = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>
      // The shortest budgets end before any read can finish, the longest lets one through.
      expect(outcomes.ENGINE_TIMEOUT, out).toBeGreaterThan(0)
      expect(outcomes.read, out).toBeGreaterThan(0)
      expect(Object.keys(outcomes).sort(), out).toEqual(
        Object.keys(outcomes)
          .filter((k) => ['read', 'ENGINE_TIMEOUT', 'ENGINE_ERROR'].includes(k))
          .sort(),
      )
    },
  )
})
