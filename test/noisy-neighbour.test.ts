// One tenant's webhook endpoints that accept connections and never answer must not delay another
// tenant: decisions run in their own lane, and deliveries take at most a few slots per tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTenant,
  dialects,
  eventually,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { TestApp, WebhookReceiver } from './helpers.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'
import { passport } from './specimens.ts'

describe.each(dialects())('a noisy neighbour on %s', (dialect) => {
  let t: TestApp
  let worker: RunningWorker
  let receiver: WebhookReceiver
  let noisy: { id: string; key: string }
  let quiet: { id: string; key: string }
  let document: Buffer

  beforeAll(async () => {
    // Hanging endpoints hold a delivery slot for the whole first-byte limit (15 s).
    t = await startTestApp(dialect, {
      env: {
        LOOM_WORKER_POLL_MS: '20',
        LOOM_WEBHOOK_TIMEOUT_MS: '20000',
        LOOM_WEBHOOK_FIRST_BYTE_TIMEOUT_MS: '15000',
        LOOM_JOB_LEASE_SECONDS: '60',
      },
    })
    worker = startWorker(t.deps, { maintenance: false })
    receiver = await startWebhookReceiver((path) => (path.startsWith('/noisy') ? 'hang' : 200))
    noisy = await createTenant(t.app)
    quiet = await createTenant(t.app)
    for (let i = 0; i < 20; i++) await endpoint(noisy.key, `/noisy/${i}`)
    await endpoint(quiet.key, '/quiet')
    document = (await passport({ adult: true })).image
  }, 120_000)
  afterAll(async () => {
    await receiver?.close()
    await worker?.stop()
    await t?.close()
  })

  async function endpoint(key: string, path: string): Promise<void> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': key },
      payload: { url: `${receiver.url}${path}` },
    })
    expect(res.statusCode, res.body).toBe(201)
  }

  /** Milliseconds from the quiet tenant's upload to its decision by the worker. */
  async function quietDecision(): Promise<number> {
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { 'x-tenant-api-key': quiet.key },
      payload: {},
    })
    const id = started.json<{ verificationId: string }>().verificationId
    const upload = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers: { 'x-tenant-api-key': quiet.key },
      payload: { verificationId: id, type: 'document_front', image: document.toString('base64') },
    })
    expect(upload.json()).toMatchObject({ status: 'processing' })
    const from = performance.now()
    await eventually(async () => {
      const status = await t.app.inject({
        method: 'GET',
        url: `/verify/status?verificationId=${id}`,
        headers: { 'x-tenant-api-key': quiet.key },
      })
      return status.json<{ status: string }>().status === 'approved' ? true : undefined
    }, 60_000)
    const took = performance.now() - from
    // Its own webhook goes out too, beside the neighbour's hanging ones.
    await receiver.waitFor(
      (all) =>
        all.some((r) => r.path === '/quiet' && r.body.includes(id) && r.body.includes('approved')),
      10_000,
    )
    return took
  }

  it('leaves another tenant’s decisions and webhooks on time', { timeout: 120_000 }, async () => {
    await quietDecision() // warms the engine
    const idle = Math.min(await quietDecision(), await quietDecision())
    // The neighbour starts 20 verifications: 400 deliveries to endpoints that never answer.
    for (let i = 0; i < 20; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/verify/start',
        headers: { 'x-tenant-api-key': noisy.key },
        payload: {},
      })
    }
    await receiver.waitFor((all) => all.filter((r) => r.path.startsWith('/noisy')).length >= 4)
    const busy = Math.max(await quietDecision(), await quietDecision())
    const hanging = receiver.received.filter((r) => r.path.startsWith('/noisy')).length
    console.log(
      `decision ${idle.toFixed(0)} ms idle, ${busy.toFixed(0)} ms beside ${hanging} hanging deliveries (ratio ${(busy / idle).toFixed(2)})`,
    )
    // At most the per-tenant cap of the neighbour's deliveries were in flight at once.
    expect(hanging).toBeLessThanOrEqual(4)
    // Without the lanes the decision waits for a hanging delivery's 15 s; the goal is 2× idle.
    expect(busy).toBeLessThan(Math.max(2 * idle, idle + 1500))
  })
})
