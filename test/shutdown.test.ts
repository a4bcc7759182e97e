// SIGTERM ends `loom serve` within its shutdown grace, whatever its engine threads and jobs are
// doing; an idle server exits at once and cleanly.
import type { ChildProcess } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ADMIN_KEY, startLoom } from '../bench/lib.ts'
import { nestedPdf } from '../bench/hostile-files.ts'

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('stopping loom serve', () => {
  it('exits at once when idle', async () => {
    const loom = await startLoom({ LOOM_SHUTDOWN_GRACE_SECONDS: '5' })
    const started = performance.now()
    loom.process.kill('SIGTERM')
    expect(await exitOf(loom.process)).toBe(0)
    expect(performance.now() - started).toBeLessThan(4000)
    await loom.stop()
  })

  it('exits within the grace while an engine thread reads for minutes', async () => {
    // A 60 s budget: the nested PDF keeps its thread busy well past the 2 s grace.
    const loom = await startLoom({
      LOOM_SHUTDOWN_GRACE_SECONDS: '2',
      LOOM_ENGINE_BUDGET_MS: '60000',
    })
    try {
      const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }
      const tenant = (await (
        await fetch(`${loom.url}/admin/tenants`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'shutdown' }),
        })
      ).json()) as { apiKey: string }
      const reading = fetch(`${loom.url}/v1/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          document_type: 'passport',
          document_data: nestedPdf(9).toString('base64'),
        }),
      }).catch(() => null)
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const started = performance.now()
      loom.process.kill('SIGTERM')
      const code = await exitOf(loom.process)
      const took = performance.now() - started
      expect(took).toBeLessThan(2000 + 1500)
      expect(took).toBeGreaterThan(1500)
      expect(code).toBe(1)
      await reading
    } finally {
      await loom.stop()
    }
  })
})
