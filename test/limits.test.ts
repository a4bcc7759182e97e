// Rate limits, brute-force protection, quotas and usage. The limiter suite runs on memory and on
// Redis; the quota suite on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import {
  admin,
  createKey,
  createTenant,
  deleteRedisPrefix,
  dialects,
  errorCode,
  randomAddress,
  startTestApp,
  testRedisUrl,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'

const limiterBackends = testRedisUrl() ? (['memory', 'redis'] as const) : (['memory'] as const)

describe.each(limiterBackends)('rate limits on %s', (backend) => {
  let t: TestApp
  const prefix = `loomtest:${randomBytes(4).toString('hex')}:`
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: {
        LOOM_AUTH_MAX_FAILURES: '10',
        ...(backend === 'redis' ? { REDIS_URL: testRedisUrl()!, REDIS_KEY_PREFIX: prefix } : {}),
      },
    })
  })
  afterAll(async () => {
    await t.close()
    if (backend === 'redis') await deleteRedisPrefix(testRedisUrl()!, prefix)
  })

  async function status(key: string, address = '203.0.113.9') {
    return t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': key },
      remoteAddress: address,
    })
  }

  it('counts every tenant request against the per-minute limit, with headers', async () => {
    const tenant = await createTenant(t.app, { rateLimitPerMinute: 5 })
    const other = await createTenant(t.app, { rateLimitPerMinute: 5 })
    for (let i = 0; i < 5; i++) {
      const res = await status(tenant.key)
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBe('5')
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i))
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000)
    }
    const limited = await status(tenant.key)
    expect(limited.statusCode).toBe(429)
    expect(errorCode(limited)).toBe('RATE_LIMIT_EXCEEDED')
    const retry = limited.json().retryAfterSeconds
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(60)
    expect(limited.headers['retry-after']).toBe(String(retry))
    expect(limited.headers['x-ratelimit-remaining']).toBe('0')
    // Another tenant has its own budget.
    expect((await status(other.key)).statusCode).toBe(200)
  })

  it('accepts exactly the limit from many parallel requests', async () => {
    const tenant = await createTenant(t.app, { rateLimitPerMinute: 7 })
    const results = await Promise.all(Array.from({ length: 25 }, () => status(tenant.key)))
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(7)
    expect(results.filter((r) => r.statusCode === 429)).toHaveLength(18)
  })

  it('takes the limit from the plan unless the tenant overrides it', async () => {
    const tenant = await createTenant(t.app, { plan: 'standard', rateLimitPerMinute: null })
    expect((await status(tenant.key)).headers['x-ratelimit-limit']).toBe('100')
    await t.app.inject({
      method: 'PATCH',
      url: `/admin/tenants/${tenant.id}`,
      headers: admin,
      payload: { plan: 'professional' },
    })
    expect((await status(tenant.key)).headers['x-ratelimit-limit']).toBe('1000')
  }, 20_000)

  it('slows and then refuses repeated failed authentication from one address only', async () => {
    const tenant = await createTenant(t.app)
    const attacker = randomAddress()
    const bystander = randomAddress()
    let slowest = 0
    let refused: Awaited<ReturnType<typeof status>> | null = null
    for (let i = 0; i < 15 && refused === null; i++) {
      const started = Date.now()
      const res = await status(`loom_live_${'x'.repeat(43)}`, attacker)
      slowest = Math.max(slowest, Date.now() - started)
      if (res.statusCode === 429) refused = res
      else expect(res.statusCode).toBe(401)
    }
    expect(refused).not.toBeNull()
    expect(errorCode(refused!)).toBe('AUTH_RATE_LIMITED')
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(60)
    expect(slowest).toBeGreaterThanOrEqual(200)
    // Refused even with a valid key from that address; another address is not affected.
    expect((await status(tenant.key, attacker)).statusCode).toBe(429)
    expect((await status(tenant.key, bystander)).statusCode).toBe(200)
  }, 60_000)
})

describe.each(dialects())('quotas and usage on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(dialect)
  })
  afterAll(async () => t.close())

  async function start(key: string, headers: Record<string, string> = {}) {
    return t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { 'x-tenant-api-key': key, ...headers },
      payload: {},
    })
  }

  it('counts live starts only, refuses past the quota, and reports usage', async () => {
    const tenant = await createTenant(t.app, { monthlyQuota: 3 })
    const test = await createKey(t.app, tenant.id, 'test')
    for (let i = 0; i < 3; i++) expect((await start(tenant.key)).statusCode).toBe(200)
    for (let i = 0; i < 4; i++) expect((await start(test.key)).statusCode).toBe(200)
    const over = await start(tenant.key)
    expect(over.statusCode).toBe(429)
    expect(errorCode(over)).toBe('QUOTA_EXCEEDED')
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': tenant.key },
    })
    const month = new Date().toISOString().slice(0, 7)
    expect(usage.json()).toMatchObject({ month, used: 3, quota: 3, remaining: 0, overage: 0 })
    expect(usage.json().days).toEqual([{ date: new Date().toISOString().slice(0, 10), units: 3 }])
    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/tenants/${tenant.id}`,
      headers: admin,
    })
    expect(detail.json().usage).toMatchObject({ used: 3, quota: 3 })
    expect(detail.json().totalVerifications).toBe(7)
  })

  it('does not count an idempotent retry twice', async () => {
    const tenant = await createTenant(t.app, { monthlyQuota: 5 })
    for (let i = 0; i < 3; i++) await start(tenant.key, { 'idempotency-key': 'same' })
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': tenant.key },
    })
    expect(usage.json().used).toBe(1)
  })

  it('allows overage up to the hard limit', async () => {
    const tenant = await createTenant(t.app, { monthlyQuota: 2, allowOverage: true, hardLimit: 4 })
    for (let i = 0; i < 4; i++) expect((await start(tenant.key)).statusCode).toBe(200)
    const over = await start(tenant.key)
    expect(errorCode(over)).toBe('HARD_LIMIT_EXCEEDED')
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': tenant.key },
    })
    expect(usage.json()).toMatchObject({
      used: 4,
      quota: 2,
      overage: 2,
      remaining: 0,
      hardLimit: 4,
    })
  })

  it('counts exactly under concurrency: no unit lost, none over the quota', async () => {
    const tenant = await createTenant(t.app, { monthlyQuota: 10 })
    const results = await Promise.all(Array.from({ length: 30 }, () => start(tenant.key)))
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(10)
    expect(results.filter((r) => errorCode(r) === 'QUOTA_EXCEEDED')).toHaveLength(20)
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': tenant.key },
    })
    expect(usage.json().used).toBe(10)
    const rows = await t.deps.store.db
      .selectFrom('verifications')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenantId', '=', tenant.id)
      .executeTakeFirstOrThrow()
    expect(Number(rows.n)).toBe(10)
  })

  it('gives the operator every tenant’s usage as JSON and CSV', async () => {
    const tenant = await createTenant(t.app, {
      name: '=HYPERLINK("x") "Quoted", Inc',
      monthlyQuota: 100,
    })
    await start(tenant.key)
    await start(tenant.key)
    const month = new Date().toISOString().slice(0, 7)
    const json = await t.app.inject({
      method: 'GET',
      url: `/admin/usage?month=${month}`,
      headers: admin,
    })
    expect(json.statusCode).toBe(200)
    expect(
      json.json().tenants.find((r: { tenantId: string }) => r.tenantId === tenant.id),
    ).toMatchObject({
      units: 2,
      quota: 100,
      overage: 0,
      month,
    })
    const csv = await t.app.inject({
      method: 'GET',
      url: `/admin/usage?month=${month}&format=csv`,
      headers: admin,
    })
    expect(csv.headers['content-type']).toContain('text/csv')
    const line = csv.body.split('\r\n').find((l) => l.includes(tenant.id))
    expect(line).toBe(
      `"${tenant.id}","'=HYPERLINK(""x"") ""Quoted"", Inc","starter","${month}","2","100","0"`,
    )
    expect(csv.body.startsWith('tenant_id,name,plan,month,units,quota,overage\r\n')).toBe(true)
    const past = await t.app.inject({
      method: 'GET',
      url: '/admin/usage?month=2001-01',
      headers: admin,
    })
    expect(past.json().tenants.every((r: { units: number }) => r.units === 0)).toBe(true)
    const bad = await t.app.inject({
      method: 'GET',
      url: '/admin/usage?month=2024-13',
      headers: admin,
    })
    expect(bad.statusCode).toBe(400)
    const noAuth = await t.app.inject({
      method: 'GET',
      url: '/admin/usage',
      remoteAddress: randomAddress(),
    })
    expect(noAuth.statusCode).toBe(401)
  })
})
