// A `loom worker` process killed with SIGKILL in the middle of deliveries loses nothing: after a
// new worker starts, every event arrives at least once, and duplicates carry the same webhook-id.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TEST_ADMIN_KEY,
  createKey,
  createTenant,
  dialects,
  eventually,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { TestApp, WebhookReceiver } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const ENV = {
  LOOM_WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms,50ms',
  LOOM_WEBHOOK_TIMEOUT_MS: '1000',
  LOOM_JOB_LEASE_SECONDS: '2',
  LOOM_WORKER_POLL_MS: '50',
  LOOM_WORKER_CONCURRENCY: '2',
}

function spawnWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  return { child, output: () => output }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise((resolve) => child.once('exit', resolve))
}

describe.each(dialects())('a worker process killed mid-delivery on %s', (dialect) => {
  let t: TestApp
  let receiver: WebhookReceiver
  const children: ChildProcess[] = []

  beforeAll(async () => {
    t = await startTestApp(dialect, { env: ENV })
    // Each answer takes a while, so the kill lands while deliveries are in flight.
    receiver = await startWebhookReceiver(async () => {
      await new Promise((r) => setTimeout(r, 80))
      return 200
    })
  })
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited(child)
    }
    await receiver.close()
    await t.close()
  })

  it('delivers every event at least once after a new worker takes over', async () => {
    const tenant = await createTenant(t.app)
    const { key } = await createKey(t.app, tenant.id, 'test')
    const endpoint = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': key },
      payload: { url: `${receiver.url}/crash` },
    })
    expect(endpoint.statusCode).toBe(201)
    const verificationIds: string[] = []
    for (let i = 0; i < 15; i++) {
      const started = await t.app.inject({
        method: 'POST',
        url: '/verify/start',
        headers: { 'x-tenant-api-key': key },
        payload: { mock_behavior: 'approve', metadata: { n: i } },
      })
      const id = started.json<{ verificationId: string }>().verificationId
      verificationIds.push(id)
      await t.app.inject({
        method: 'POST',
        url: '/verify/complete',
        headers: { 'x-tenant-api-key': key },
        payload: { verificationId: id },
      })
    }
    const events = await t.deps.store.db
      .selectFrom('verificationEvents')
      .select('id')
      .where('tenantId', '=', tenant.id)
      .execute()
    const expected = new Set(events.map((e) => e.id))
    expect(expected.size).toBe(30)

    const env = {
      ...t.db.env,
      ...ENV,
      LOOM_ADMIN_KEY: TEST_ADMIN_KEY,
      LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
      LOG_LEVEL: 'warn',
    }
    const first = spawnWorker(env)
    children.push(first.child)
    await receiver
      .waitFor((r) => r.length >= 5, 30_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}\nworker output:\n${first.output()}`)
      })
    first.child.kill('SIGKILL')
    await exited(first.child)
    const atKill = receiver.received.length
    expect(atKill).toBeLessThan(expected.size) // the kill really came mid-way

    const second = spawnWorker(env)
    children.push(second.child)
    const bodyId = (body: string): string => (JSON.parse(body) as { id: string }).id
    await receiver
      .waitFor((r) => expected.size === new Set(r.map((m) => bodyId(m.body))).size, 30_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}\nworker output:\n${second.output()}`)
      })
    const received = receiver.at('/crash')
    expect(new Set(received.map((m) => bodyId(m.body)))).toEqual(expected)
    // Receivers deduplicate by webhook-id: one id per event, whatever the number of copies.
    const idsPerEvent = new Map<string, Set<string>>()
    for (const m of received) {
      const set = idsPerEvent.get(bodyId(m.body)) ?? new Set<string>()
      set.add(m.headers['webhook-id'] ?? '')
      idsPerEvent.set(bodyId(m.body), set)
    }
    expect([...idsPerEvent.values()].every((s) => s.size === 1)).toBe(true)
    expect(new Set(received.map((m) => m.headers['webhook-id'])).size).toBe(expected.size)
    // And the log agrees once the new worker has recorded its attempts.
    await eventually(async () => {
      const rows = await t.deps.store.db
        .selectFrom('webhookDeliveries')
        .select('status')
        .where('tenantId', '=', tenant.id)
        .execute()
      return rows.length === expected.size && rows.every((r) => r.status === 'delivered')
        ? true
        : undefined
    })
    second.child.kill('SIGTERM')
    await exited(second.child)
  }, 90_000)
})
