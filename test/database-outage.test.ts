// PostgreSQL going away and coming back, through a TCP proxy that cuts every connection at once
// and refuses new ones for a while: mid-request and mid-job, three times, for `loom serve` with its
// embedded worker and for `loom serve --no-worker` beside a `loom worker`. The processes stay up,
// requests in the outage answer 503 in the surface's shape, /health says `disconnected`, and once
// the database is back every verification is decided and every webhook delivered.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, startLoom } from '../bench/lib.ts'
import type { RunningProcess } from '../bench/lib.ts'
import { createTestDatabase, inject, startWebhookReceiver } from './helpers.ts'
import type { TestDatabase, WebhookReceiver } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

/** A TCP proxy to PostgreSQL that can drop every connection and refuse new ones. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>()
  let up = true
  const server = net.createServer((client) => {
    if (!up) return client.destroy()
    const upstream = net.connect(target.port, target.host)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    restore() {
      up = true
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

const postgresUrl = inject('testDatabaseUrl')

describe.runIf(postgresUrl)('PostgreSQL outages', () => {
  const cleanups: (() => Promise<unknown> | void)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  for (const layout of ['serve with its worker', 'serve --no-worker beside loom worker'] as const) {
    it(`keeps ${layout} alive and loses nothing`, { timeout: 180_000 }, async () => {
      const db: TestDatabase = await createTestDatabase('postgres')
      cleanups.push(() => db.drop())
      const real = new URL(db.env.DATABASE_URL!)
      const proxy = await startProxy({ host: real.hostname, port: Number(real.port || 5432) })
      cleanups.push(() => proxy.close())
      const proxied = new URL(real)
      proxied.port = String(proxy.port)
      const receiver: WebhookReceiver = await startWebhookReceiver(() => 200)
      cleanups.push(() => receiver.close())
      const env = {
        ...db.env,
        DATABASE_URL: proxied.toString(),
        LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
        LOOM_WORKER_POLL_MS: '50',
        LOOM_JOB_LEASE_SECONDS: '3',
        LOOM_WEBHOOK_TIMEOUT_MS: '2000',
        LOOM_WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,1s,2s,2s,2s,2s',
      }
      const withWorker = layout === 'serve with its worker'
      const loom: RunningProcess = await startLoom({
        ...env,
        ...(withWorker ? {} : { LOOM_SERVE_WORKER: 'false' }),
      })
      cleanups.push(() => loom.stop())
      const worker = withWorker ? null : spawnWorker(env)
      if (worker) cleanups.push(() => void worker.kill('SIGKILL'))
      let workerOutput = ''
      if (worker) {
        // Started and polling before the first cut.
        worker.stdout?.on('data', (d: Buffer) => (workerOutput += d.toString()))
        worker.stderr?.on('data', (d: Buffer) => (workerOutput += d.toString()))
        const deadline = Date.now() + 30_000
        while (!workerOutput.includes('Loom worker running')) {
          if (Date.now() > deadline || worker.exitCode !== null) throw new Error(workerOutput)
          await new Promise((r) => setTimeout(r, 100))
        }
      }

      const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }
      const tenant = (await (
        await fetch(`${loom.url}/admin/tenants`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'outage', rateLimitPerMinute: 100_000 }),
        })
      ).json()) as { id: string }
      const testKey = (
        (await (
          await fetch(`${loom.url}/admin/tenants/${tenant.id}/keys`, {
            method: 'POST',
            headers: admin,
            body: JSON.stringify({ mode: 'test' }),
          })
        ).json()) as { apiKey: string }
      ).apiKey
      const headers = { 'x-tenant-api-key': testKey, 'content-type': 'application/json' }
      const endpoint = await fetch(`${loom.url}/webhooks/endpoints`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: `${receiver.url}/hooks`, events: ['verification.completed'] }),
      })
      expect(endpoint.status).toBe(201)

      const completed = new Set<string>()
      const unexpected: string[] = []
      let refused = 0
      /** One verification started and completed; every answer is a success or a 503. */
      async function verify(): Promise<void> {
        let lastWas503 = false
        const call = async (url: string, body: unknown) => {
          const res = await fetch(`${loom.url}${url}`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
          }).catch((err: unknown) => ({ status: 0, text: async () => String(err) }))
          const text = await res.text()
          if (res.status === 503) {
            refused++
            expect(JSON.parse(text)).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } })
            lastWas503 = true
          } else if (
            res.status === 400 &&
            lastWas503 &&
            text.includes('VERIFICATION_ALREADY_COMPLETED')
          ) {
            // The connection broke after the database committed our earlier call and before we
            // heard back: the retry finds it done, as it should.
            return { verificationId: (body as { verificationId: string }).verificationId }
          } else if (res.status !== 200) {
            unexpected.push(`${url} ${res.status} ${text.slice(0, 200)}`)
          }
          return res.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : null
        }
        const started = await call('/verify/start', { mock_behavior: 'approve' })
        if (started === null) return
        const id = String(started.verificationId)
        // Retried through the outage: a start that succeeded must be completable.
        for (let attempt = 0; attempt < 40; attempt++) {
          const done = await call('/verify/complete', { verificationId: id })
          if (done !== null) {
            completed.add(id)
            return
          }
          await new Promise((r) => setTimeout(r, 250))
        }
        unexpected.push(`${id} never completed`)
      }

      for (let round = 0; round < 3; round++) {
        const load = Promise.all(
          Array.from({ length: 4 }, async () => {
            for (let i = 0; i < 6; i++) await verify()
          }),
        )
        await new Promise((r) => setTimeout(r, 300 + round * 200))
        proxy.cut()
        await new Promise((r) => setTimeout(r, 500))
        const health = await fetch(`${loom.url}/health`)
        expect(health.status).toBe(503)
        expect(await health.json()).toMatchObject({ database: 'disconnected' })
        await new Promise((r) => setTimeout(r, 1500))
        proxy.restore()
        await load
        expect(loom.process.exitCode).toBeNull()
        if (worker) expect(worker.exitCode).toBeNull()
      }
      expect(unexpected).toEqual([])
      expect(refused).toBeGreaterThan(0)
      expect(completed.size).toBeGreaterThan(20)
      // Every decision reaches the webhook receiver (at least once; deduplicated by webhook-id).
      await receiver
        .waitFor((all) => {
          const seen = new Set(all.map((r) => JSON.parse(r.body).verificationId as string))
          return [...completed].every((id) => seen.has(id))
        }, 60_000)
        .catch((err: unknown) => {
          throw new Error(`${String(err)}\nworker output (end):\n${workerOutput.slice(-4000)}`)
        })
      const ids = receiver.received.map((r) => r.headers['webhook-id'])
      expect(new Set(ids).size).toBe(completed.size)
      expect((await fetch(`${loom.url}/health`)).status).toBe(200)
    })
  }
})
