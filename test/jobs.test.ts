import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { dialects, eventually, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { buildDeps } from '../src/deps.ts'
import type { Deps } from '../src/deps.ts'
import { claimJobs, completeJob, enqueueJob, getJob } from '../src/store/jobs.ts'
import { JobRunner, PermanentJobError, RetryAt } from '../src/jobs/queue.ts'
import type { JobHandler } from '../src/jobs/queue.ts'
import { isBlockedAddress, webhookUrlProblem } from '../src/jobs/ssrf.ts'
import { WebhookSender } from '../src/jobs/webhook-http.ts'
import { webhookRetryDelayMs } from '../src/jobs/webhooks.ts'
import { loadConfig } from '../src/config.ts'

const ENV = { LOOM_WORKER_POLL_MS: '20', LOOM_JOB_LEASE_SECONDS: '30' }

async function enqueue(
  deps: Deps,
  type: string,
  payload: Record<string, unknown>,
  maxAttempts = 3,
) {
  const now = deps.clock.now().toISOString()
  return enqueueJob(deps.store.db, { type, tenantId: null, payload, runAt: now, maxAttempts, now })
}

function runner(deps: Deps, handlers: JobHandler[], concurrency = 4): JobRunner {
  const r = new JobRunner(deps, { concurrency, leaseMs: 30_000, pollMs: 20 })
  for (const h of handlers) r.register(h)
  return r
}

describe.each(dialects())('job queue on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(dialect, { env: ENV })
  })
  afterAll(async () => t.close())

  it('runs a registered job type with its payload, once', async () => {
    const seen: unknown[] = []
    const type = `test.echo.${Math.random()}`
    const r = runner(t.deps, [{ type, run: async (payload) => void seen.push(payload) }])
    r.start()
    try {
      const id = await enqueue(t.deps, type, { thingId: 'x_1' })
      await eventually(async () =>
        (await getJob(t.deps.store.db, id))?.state === 'done' ? true : undefined,
      )
      expect(seen).toEqual([{ thingId: 'x_1' }])
      expect((await getJob(t.deps.store.db, id))?.attempts).toBe(1)
    } finally {
      await r.stop()
    }
  })

  it('retries a failing job with back-off, then dead-letters it and calls onDead', async () => {
    const type = `test.fail.${Math.random()}`
    let runs = 0
    let dead = 0
    const r = runner(t.deps, [
      {
        type,
        backoffMs: () => 10,
        run: async () => {
          runs += 1
          throw new Error('broken on purpose')
        },
        onDead: async () => void (dead += 1),
      },
    ])
    r.start()
    try {
      const id = await enqueue(t.deps, type, {}, 3)
      const job = await eventually(async () => {
        const j = await getJob(t.deps.store.db, id)
        return j?.state === 'dead' ? j : undefined
      })
      expect(runs).toBe(3)
      expect(dead).toBe(1)
      expect(job.attempts).toBe(3)
      expect(job.lastError).toBe('broken on purpose')
    } finally {
      await r.stop()
    }
  })

  it('runs at most perTenant of one tenant’s jobs at once, and others’ beside them', async () => {
    const type = `test.fair.${Math.random()}`
    const running = new Map<string, number>()
    const most = new Map<string, number>()
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const r = new JobRunner(t.deps, { concurrency: 8, perTenant: 3, leaseMs: 30_000, pollMs: 20 })
    r.register({
      type,
      run: async (payload) => {
        const tenant = String(payload.tenant)
        running.set(tenant, (running.get(tenant) ?? 0) + 1)
        most.set(tenant, Math.max(most.get(tenant) ?? 0, running.get(tenant)!))
        order.push(tenant)
        // The noisy tenant's jobs hang until the quiet tenant's have all run.
        if (tenant === 'ten_noisy') await gate
        running.set(tenant, running.get(tenant)! - 1)
      },
    })
    const now = t.deps.clock.now().toISOString()
    const add = (tenant: string) =>
      enqueueJob(t.deps.store.db, {
        type,
        tenantId: tenant,
        payload: { tenant },
        runAt: now,
        maxAttempts: 3,
        now,
      })
    for (let i = 0; i < 12; i++) await add('ten_noisy')
    for (let i = 0; i < 4; i++) await add('ten_quiet')
    r.start()
    try {
      await eventually(async () =>
        order.filter((x) => x === 'ten_quiet').length === 4 ? true : undefined,
      )
      expect(most.get('ten_noisy')).toBe(3)
      release()
      await eventually(async () => (order.length === 16 ? true : undefined))
      expect(most.get('ten_noisy')).toBe(3)
    } finally {
      release()
      await r.stop()
    }
  })

  it('honours RetryAt and PermanentJobError from handlers', async () => {
    const retryType = `test.retryat.${Math.random()}`
    const permanentType = `test.permanent.${Math.random()}`
    let retryRuns = 0
    const r = runner(t.deps, [
      {
        type: retryType,
        run: async () => {
          retryRuns += 1
          if (retryRuns === 1) throw new RetryAt(new Date(Date.now() + 10), 'not yet')
        },
      },
      {
        type: permanentType,
        run: async () => {
          throw new PermanentJobError('cannot ever work')
        },
      },
    ])
    r.start()
    try {
      const a = await enqueue(t.deps, retryType, {}, 5)
      const b = await enqueue(t.deps, permanentType, {}, 5)
      await eventually(async () =>
        (await getJob(t.deps.store.db, a))?.state === 'done' ? true : undefined,
      )
      const dead = await eventually(async () => {
        const j = await getJob(t.deps.store.db, b)
        return j?.state === 'dead' ? j : undefined
      })
      expect(retryRuns).toBe(2)
      expect(dead.attempts).toBe(1)
    } finally {
      await r.stop()
    }
  })

  it('hands a job whose lease expired to another worker, and refuses the late finisher', async () => {
    const type = `test.lease.${Math.random()}`
    await enqueue(t.deps, type, { n: 1 })
    const now = new Date()
    const [first] = await claimJobs(t.deps.store, { limit: 10, leaseMs: 1000, now, types: [type] })
    if (!first) throw new Error('not claimed')
    // While the lease holds, nobody else gets it.
    expect(
      await claimJobs(t.deps.store, {
        limit: 10,
        leaseMs: 1000,
        now: new Date(now.getTime() + 500),
        types: [type],
      }),
    ).toEqual([])
    // After it expires (the worker died), another claim takes it over.
    const later = new Date(now.getTime() + 1500)
    const [second] = await claimJobs(t.deps.store, {
      limit: 10,
      leaseMs: 1000,
      now: later,
      types: [type],
    })
    expect(second?.id).toBe(first.id)
    expect(second?.attempts).toBe(2)
    expect(await completeJob(t.deps.store.db, first, later)).toBe(false)
    if (!second) throw new Error('not reclaimed')
    expect(await completeJob(t.deps.store.db, second, later)).toBe(true)
    expect((await getJob(t.deps.store.db, first.id))?.state).toBe('done')
  })

  it('renews the lease of a long job, so a second worker does not take it over', async () => {
    const type = `test.long.${Math.random()}`
    const runs: string[] = []
    const slow = (name: string): JobHandler => ({
      type,
      run: async () => {
        runs.push(name)
        await new Promise((r) => setTimeout(r, 1000))
      },
    })
    const a = new JobRunner(t.deps, { concurrency: 1, leaseMs: 300, pollMs: 20 }).register(
      slow('a'),
    )
    const b = new JobRunner(t.deps, { concurrency: 1, leaseMs: 300, pollMs: 20 }).register(
      slow('b'),
    )
    const id = await enqueue(t.deps, type, {})
    a.start()
    await eventually(async () => (runs.length > 0 ? true : undefined))
    b.start()
    try {
      await eventually(async () =>
        (await getJob(t.deps.store.db, id))?.state === 'done' ? true : undefined,
      )
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    expect(runs).toEqual(['a'])
  })

  it('does not run jobs before their time', async () => {
    const type = `test.later.${Math.random()}`
    const now = new Date()
    await enqueueJob(t.deps.store.db, {
      type,
      tenantId: null,
      payload: {},
      runAt: new Date(now.getTime() + 60_000).toISOString(),
      maxAttempts: 1,
      now: now.toISOString(),
    })
    expect(await claimJobs(t.deps.store, { limit: 10, leaseMs: 1000, now, types: [type] })).toEqual(
      [],
    )
  })
})

describe.runIf(dialects().includes('postgres'))('two workers on PostgreSQL', () => {
  let t: TestApp
  let second: Deps
  beforeAll(async () => {
    t = await startTestApp('postgres', { env: ENV })
    second = (await buildDeps(t.config, { logger: pino({ level: 'silent' }) })).deps
  })
  afterAll(async () => {
    await second.close()
    await t.close()
  })

  it('share a burst of jobs: each runs exactly once', async () => {
    const type = `test.burst.${Math.random()}`
    const runs = new Map<string, string[]>()
    const handler = (worker: string): JobHandler => ({
      type,
      run: async (payload) => {
        const key = String(payload.n)
        runs.set(key, [...(runs.get(key) ?? []), worker])
        await new Promise((r) => setTimeout(r, 2))
      },
    })
    const count = 300
    for (let n = 0; n < count; n++) await enqueue(t.deps, type, { n })
    // Separate connection pools, as two `loom worker` processes would have.
    const a = runner(t.deps, [handler('a')], 8)
    const b = runner(second, [handler('b')], 8)
    a.start()
    b.start()
    try {
      await eventually(async () => (runs.size === count ? true : undefined), 30_000)
      // Give a double run the chance to show up before judging.
      await new Promise((r) => setTimeout(r, 200))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    expect(runs.size).toBe(count)
    const twice = [...runs.entries()].filter(([, workers]) => workers.length !== 1)
    expect(twice).toEqual([])
    const jobs = await t.deps.store.db
      .selectFrom('jobs')
      .select(['state', 'attempts'])
      .where('type', '=', type)
      .execute()
    expect(jobs.every((j) => j.state === 'done' && j.attempts === 1)).toBe(true)
  })
})

describe('SSRF guard', () => {
  it('blocks loopback, private, link-local, CGNAT, multicast and metadata addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:10.0.0.1',
      '::ffff:0:a9fe:a9fe',
      '100::1',
      '3fff::1',
      '4000::1',
      'not-an-ip',
    ]) {
      expect(isBlockedAddress(address), address).toBe(true)
    }
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2a00:1450:4001:80e::200e',
    ]) {
      expect(isBlockedAddress(address), address).toBe(false)
    }
  })

  it('checks URL shape when an endpoint is saved', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x', false)).toBeNull()
    expect(webhookUrlProblem('http://hooks.example.com/x', false)).toMatch(/https/)
    expect(webhookUrlProblem('http://127.0.0.1:9/x', true)).toBeNull()
    expect(webhookUrlProblem('https://[::ffff:10.0.0.1]/x', false)).toMatch(/private/)
  })

  it('refuses at delivery time to connect to a name that resolves to loopback', async () => {
    const sender = new WebhookSender({
      timeoutMs: 2000,
      connectTimeoutMs: 1000,
      firstByteTimeoutMs: 1000,
      allowPrivate: false,
    })
    try {
      const viaName = await sender.send('https://localhost:9/hook', {}, '{}')
      expect(viaName.statusCode).toBeNull()
      expect(viaName.error).toMatch(/private, loopback or reserved/)
      const literal = await sender.send('https://127.0.0.1:9/hook', {}, '{}')
      expect(literal.error).toMatch(/private, loopback or reserved/)
      const plain = await sender.send('http://example.com/hook', {}, '{}')
      expect(plain.error).toMatch(/https/)
    } finally {
      sender.close()
    }
  })

  it('gives up on an endpoint that does not connect, or does not answer, in time', async () => {
    // Accepts the TCP connection and never says a word: no TLS handshake, no HTTP answer.
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    const sender = new WebhookSender({
      timeoutMs: 5000,
      connectTimeoutMs: 300,
      firstByteTimeoutMs: 600,
      allowPrivate: true,
    })
    try {
      const tls = await sender.send(`https://127.0.0.1:${port}/hook`, {}, '{}')
      expect(tls).toMatchObject({ statusCode: null, error: 'connect timed out after 300 ms' })
      expect(tls.durationMs).toBeLessThan(2000)
      const plain = await sender.send(`http://127.0.0.1:${port}/hook`, {}, '{}')
      expect(plain).toMatchObject({
        statusCode: null,
        error: 'no answer within 600 ms of the request',
      })
      expect(plain.durationMs).toBeLessThan(3000)
    } finally {
      sender.close()
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })

  it('follows the configured retry schedule with bounded jitter', () => {
    const config = loadConfig({ LOOM_WEBHOOK_RETRY_SCHEDULE: '5s,5m,2h' })
    expect(config.webhookRetryScheduleMs).toEqual([5000, 300_000, 7_200_000])
    const delay = webhookRetryDelayMs(config.webhookRetryScheduleMs, 2)
    expect(delay).toBeGreaterThanOrEqual(270_000)
    expect(delay).toBeLessThanOrEqual(330_000)
    expect(() => loadConfig({ LOOM_WEBHOOK_RETRY_SCHEDULE: '5 parsecs' })).toThrow(
      /LOOM_WEBHOOK_RETRY_SCHEDULE/,
    )
    expect(() =>
      loadConfig({ LOOM_JOB_LEASE_SECONDS: '5', LOOM_WEBHOOK_TIMEOUT_MS: '10000' }),
    ).toThrow(/LOOM_JOB_LEASE_SECONDS/)
    expect(
      loadConfig({}).webhookRetryScheduleMs.reduce((a, b) => a + b, 0) / 86_400_000,
    ).toBeCloseTo(2.8, 1)
  })
})
