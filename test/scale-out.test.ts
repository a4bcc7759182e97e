// Scale-out on one machine: two `loom serve --no-worker` behind a round-robin proxy, two
// `loom worker`, PostgreSQL and Redis. Documents are uploaded through the proxy while one worker
// is killed (SIGKILL) and restarted and one server is stopped and restarted; every verification
// is decided exactly once and every decision's webhook delivered.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, startLoom } from '../bench/lib.ts'
import type { RunningProcess } from '../bench/lib.ts'
import {
  createTestDatabase,
  deleteRedisPrefix,
  inject,
  startWebhookReceiver,
  testRedisUrl,
} from './helpers.ts'
import { passport } from './specimens.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

/** A TCP round-robin proxy over upstream ports that may come and go. */
async function roundRobin(ports: () => number[]) {
  let next = 0
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const list = ports()
    const port = list[next++ % list.length]!
    const upstream = net.connect(port, '127.0.0.1')
    open.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('close', drop)
    upstream.on('close', drop)
    client.on('error', drop)
    upstream.on('error', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of open) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const workerOutput: string[] = []

function spawnWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const index = workerOutput.push('') - 1
  const keep = (d: Buffer) =>
    (workerOutput[index] = (workerOutput[index]! + d.toString()).slice(-3000))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return child
}

const redisUrl = testRedisUrl()

describe.runIf(inject('testDatabaseUrl') && redisUrl)('two servers and two workers', () => {
  const cleanups: (() => unknown)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  it('decide every verification once and deliver every webhook', { timeout: 600_000 }, async () => {
    const db = await createTestDatabase('postgres')
    cleanups.push(() => db.drop())
    const prefix = `loom_scale_${randomBytes(4).toString('hex')}:`
    cleanups.push(() => deleteRedisPrefix(redisUrl!, prefix))
    const receiver = await startWebhookReceiver(() => 200)
    cleanups.push(() => receiver.close())
    const env = {
      ...db.env,
      // Every process shares the keys (each would otherwise make its own in its data dir).
      LOOM_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: prefix,
      LOOM_SERVE_WORKER: 'false',
      LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
      LOOM_ACCEPT_SPECIMENS: 'true',
      LOOM_WORKER_POLL_MS: '50',
      LOOM_JOB_LEASE_SECONDS: '3',
      LOOM_WEBHOOK_TIMEOUT_MS: '2000',
      LOOM_ENGINE_THREADS: '1',
      // A loaded test machine must not turn a read into a timeout (which asks for the back).
      LOOM_ENGINE_BUDGET_MS: '60000',
      LOOM_WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,2s,2s,2s',
    }
    const servers: RunningProcess[] = [await startLoom(env), await startLoom(env)]
    cleanups.push(() => Promise.all(servers.map((s) => s.stop())))
    const workers: ChildProcess[] = [spawnWorker(env), spawnWorker(env)]
    cleanups.push(() => workers.forEach((w) => w.kill('SIGKILL')))
    const proxy = await roundRobin(() => servers.map((s) => Number(new URL(s.url).port)))
    cleanups.push(() => proxy.close())

    const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }
    const tenant = (await (
      await fetch(`${proxy.url}/admin/tenants`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: 'scale', rateLimitPerMinute: 100_000 }),
      })
    ).json()) as { apiKey: string }
    const headers = { 'x-tenant-api-key': tenant.apiKey, 'content-type': 'application/json' }
    const endpoint = await fetch(`${proxy.url}/webhooks/endpoints`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: `${receiver.url}/hooks`, events: ['verification.completed'] }),
    })
    expect(endpoint.status).toBe(201)
    const image = (await passport({ adult: true })).image.toString('base64')

    /** Start and upload through the proxy, retrying what a stopping server refused. */
    async function call(url: string, body: unknown): Promise<Record<string, unknown>> {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${proxy.url}${url}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
        }).catch(() => null)
        if (res?.status === 200) return (await res.json()) as Record<string, unknown>
        const text = res ? await res.text() : 'connection refused'
        if (attempt > 20 || (res && res.status !== 503)) {
          throw new Error(`${url}: ${res?.status} ${text}`)
        }
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    const ids: string[] = []
    const started = performance.now()
    const total = 16
    const load = (async () => {
      for (let i = 0; i < total; i++) {
        const { verificationId } = await call('/verify/start', {})
        const id = String(verificationId)
        ids.push(id)
        const upload = await call('/verify/images', {
          verificationId: id,
          type: 'document_front',
          image,
        })
        expect(upload).toMatchObject({ feedback: 'ok', complete: true })
      }
    })()
    // Mid-run: a worker dies without warning and comes back; a server is stopped and restarted.
    await new Promise((r) => setTimeout(r, 2000))
    workers[0]!.kill('SIGKILL')
    workers[0] = spawnWorker(env)
    await new Promise((r) => setTimeout(r, 1500))
    await servers[1]!.stop()
    servers[1] = await startLoom(env)
    await load

    // Every verification decided, by exactly one verification.completed event.
    const decided = new Map<string, number>()
    const deadline = Date.now() + 180_000
    while (decided.size < total && Date.now() < deadline) {
      for (const id of ids) {
        if (decided.has(id)) continue
        const res = await fetch(`${proxy.url}/verify/events?verificationId=${id}`, { headers })
        if (res.status !== 200) continue
        const events = ((await res.json()) as { events: { type: string }[] }).events
        const completions = events.filter((e) => e.type === 'verification.completed').length
        if (completions > 0) decided.set(id, completions)
      }
      await new Promise((r) => setTimeout(r, 300))
    }
    const seconds = (performance.now() - started) / 1000
    console.log(
      `${total} documents decided by 2 servers + 2 workers in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(2)} documents/s), with a worker killed and a server restarted`,
    )
    if (decided.size < total) {
      for (const id of ids.filter((i) => !decided.has(i))) {
        const res = await fetch(`${proxy.url}/verify/events?verificationId=${id}`, { headers })
        console.log('undecided', id, res.status, await res.text())
      }
      console.log(
        'workers alive:',
        workers.map((w) => w.exitCode),
        workerOutput,
      )
    }
    expect(decided.size).toBe(total)
    expect([...decided.values()].every((n) => n === 1)).toBe(true)
    await receiver.waitFor((all) => {
      const seen = new Set(
        all.map((r) => (JSON.parse(r.body) as { verificationId: string }).verificationId),
      )
      return ids.every((id) => seen.has(id))
    }, 60_000)
    const deliveries = new Set(receiver.received.map((r) => r.headers['webhook-id']))
    expect(deliveries.size).toBe(total)
  })
})
