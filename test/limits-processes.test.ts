// Limits across real processes and through a Redis outage.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ADMIN_KEY, freePort, startLoom } from '../bench/lib.ts'
import {
  TEST_ADMIN_KEY,
  createTenant,
  createTestDatabase,
  deleteRedisPrefix,
  inject,
  testRedisUrl,
} from './helpers.ts'
import { loadConfig } from '../src/config.ts'
import { buildDeps } from '../src/deps.ts'
import { buildApp } from '../src/api/app.ts'

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
}

describe('Redis outage', () => {
  let redis: ChildProcess | null = null
  afterAll(() => {
    redis?.kill('SIGKILL')
  })

  it(
    'keeps serving with per-process limits, reports degraded, warns once, and recovers',
    { timeout: 60_000 },
    async () => {
      const port = await freePort()
      redis = startRedis(port)
      const lines: string[] = []
      const logger = pino(
        { level: 'warn' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString())
            done()
          },
        }),
      )
      const db = await createTestDatabase('sqlite')
      const config = loadConfig({
        ...db.env,
        LOOM_ADMIN_KEY: TEST_ADMIN_KEY,
        REDIS_URL: `redis://127.0.0.1:${port}`,
      })
      const { deps } = await buildDeps(config, { logger })
      const app = await buildApp(deps)
      try {
        await waitFor(() => deps.redisStatus() === 'connected', 'Redis to connect')
        const tenant = await createTenant(app, { rateLimitPerMinute: 1000 })
        const usage = () =>
          app.inject({ method: 'GET', url: '/usage', headers: { 'x-tenant-api-key': tenant.key } })
        expect((await usage()).statusCode).toBe(200)
        expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({
          status: 'ok',
          database: 'connected',
          redis: 'connected',
        })

        redis.kill('SIGKILL')
        await waitFor(() => deps.redisStatus() === 'disconnected', 'Redis to be seen gone')
        for (let i = 0; i < 20; i++) {
          const res = await usage()
          expect(res.statusCode).toBe(200)
          expect(res.headers['x-ratelimit-limit']).toBe('1000')
        }
        const health = await app.inject({ method: 'GET', url: '/health' })
        expect(health.statusCode).toBe(200)
        expect(health.json()).toMatchObject({
          status: 'degraded',
          database: 'connected',
          redis: 'disconnected',
        })
        await new Promise((r) => setTimeout(r, 1500)) // several reconnect attempts fail meanwhile
        expect(lines.filter((l) => l.includes('Redis unavailable')).length).toBe(1)

        redis = startRedis(port)
        await waitFor(() => deps.redisStatus() === 'connected', 'Redis to come back')
        expect((await usage()).statusCode).toBe(200)
        expect((await app.inject({ method: 'GET', url: '/health' })).json().status).toBe('ok')
      } finally {
        await app.close()
        await deps.close()
        await db.drop()
      }
    },
  )
})

const pgUrl = inject('testDatabaseUrl')
const redisUrl = testRedisUrl()

describe.skipIf(!pgUrl || !redisUrl)('two loom serve processes on PostgreSQL and Redis', () => {
  it('share one rate-limit budget and one quota exactly', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase('postgres')
    const prefix = `loomtest:${randomBytes(4).toString('hex')}:`
    const env = {
      ...db.env,
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: prefix,
      LOOM_SERVE_WORKER: 'false',
    }
    const a = await startLoom(env)
    const b = await startLoom(env)
    try {
      const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }
      const mk = async (body: Record<string, unknown>) => {
        const res = await fetch(`${a.url}/admin/tenants`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'cross', ...body }),
        })
        return (await res.json()) as { apiKey: string }
      }
      const limited = await mk({ rateLimitPerMinute: 20 })
      const get = (url: string) =>
        fetch(`${url}/usage`, { headers: { 'x-tenant-api-key': limited.apiKey } }).then(
          (r) => r.status,
        )
      const statuses = await Promise.all([
        ...Array.from({ length: 30 }, () => get(a.url)),
        ...Array.from({ length: 30 }, () => get(b.url)),
      ])
      expect(statuses.filter((s) => s === 200)).toHaveLength(20)
      expect(statuses.filter((s) => s === 429)).toHaveLength(40)

      const quota = await mk({ rateLimitPerMinute: 100_000, monthlyQuota: 15 })
      const start = (url: string) =>
        fetch(`${url}/verify/start`, {
          method: 'POST',
          headers: { 'x-tenant-api-key': quota.apiKey, 'content-type': 'application/json' },
          body: '{}',
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { error?: { code: string } },
        }))
      const results = await Promise.all([
        ...Array.from({ length: 20 }, () => start(a.url)),
        ...Array.from({ length: 20 }, () => start(b.url)),
      ])
      expect(results.filter((r) => r.status === 200)).toHaveLength(15)
      expect(results.filter((r) => r.body.error?.code === 'QUOTA_EXCEEDED')).toHaveLength(25)
      const usage = await fetch(`${b.url}/usage`, { headers: { 'x-tenant-api-key': quota.apiKey } })
      expect(((await usage.json()) as { used: number }).used).toBe(15)
    } finally {
      await a.stop()
      await b.stop()
      await db.drop()
      await deleteRedisPrefix(redisUrl!, prefix)
    }
  })
})
