import { checkEngine } from '../src/deps.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  admin,
  createKey,
  TEST_ADMIN_KEY,
  createTenant,
  dialects,
  errorCode,
  randomAddress,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'

describe.each(dialects())('admin API on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(dialect)
  })
  afterAll(async () => t.close())

  it('reports health with the database connected', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      status: 'ok',
      database: 'connected',
      redis: 'not_configured',
      engine: 'unchecked',
    })
    expect(res.headers['x-request-id']).toMatch(/^req_/)
  })

  it('says whether the document engine can read, once it has checked', async () => {
    // A cold engine thread cannot get ready within 1 ms: /health says the engine failed, and why.
    const cold = await startTestApp(dialect)
    try {
      await checkEngine(cold.deps, 1)
      const failed = await cold.app.inject({ method: 'GET', url: '/health' })
      expect(failed.json()).toMatchObject({
        status: 'degraded',
        engine: 'failed',
        engineError: expect.stringMatching(/longer than 1 ms/),
      })
      await checkEngine(cold.deps)
      const ready = await cold.app.inject({ method: 'GET', url: '/health' })
      expect(ready.json()).toMatchObject({ status: 'ok', engine: 'ready' })
    } finally {
      await cold.close()
    }
  })

  it('serves Prometheus metrics behind the admin key (header or bearer)', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
    const tenant = await createTenant(t.app)
    await t.app.inject({
      method: 'POST',
      url: '/tokens/validate',
      headers: { 'x-tenant-api-key': tenant.key },
      payload: { token: 'not-a-token' },
    })
    for (const headers of [admin, { authorization: `Bearer ${TEST_ADMIN_KEY}` }]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(res.body).toMatch(
        /loom_http_requests_total\{method="POST",route="\/tokens\/validate",status="200"\} \d+/,
      )
      expect(res.body).toMatch(/loom_token_validations_total\{result="TOKEN_INVALID"\} 1/)
      for (const name of [
        'loom_http_request_duration_seconds_bucket',
        'loom_engine_queue_depth',
        'loom_job_lag_seconds',
        'loom_process_cpu_seconds_total',
      ]) {
        expect(res.body, name).toContain(name)
      }
      // Labels are route templates, never ids or keys.
      expect(res.body).not.toContain(tenant.key)
    }
  })

  it('creates, lists, reads and patches tenants', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: admin,
      payload: { name: 'Acme', plan: 'professional' },
    })
    expect(created.statusCode).toBe(201)
    const body = created.json()
    expect(body.id).toMatch(/^ten_/)
    expect(body.apiKey).toMatch(/^loom_live_[A-Za-z0-9_-]{43}$/)
    expect(body.isActive).toBe(true)
    expect(body.billing).toMatchObject({ plan: 'professional', rateLimitPerMinute: 1000 })

    const list = await t.app.inject({ method: 'GET', url: '/admin/tenants', headers: admin })
    const listed = list.json<{ id: string; apiKey: string }[]>().find((x) => x.id === body.id)
    expect(listed?.apiKey).toBe(`${String(body.apiKey).slice(0, 14)}…`)

    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/tenants/${body.id}`,
      headers: admin,
    })
    expect(detail.statusCode).toBe(200)
    expect(detail.json()).toMatchObject({
      id: body.id,
      totalVerifications: 0,
      lastVerifications: [],
      usage: { used: 0, quota: 100_000, remaining: 100_000 },
    })
    expect(detail.json().apiKeys).toHaveLength(1)

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/tenants/${body.id}`,
      headers: admin,
      payload: { rateLimitPerMinute: 7, isActive: false, monthlyQuota: null },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ isActive: false, rateLimitPerMinute: 7 })
    expect(patched.json().billing.rateLimitPerMinute).toBe(7)
  })

  it('stores names with SQL and Unicode junk intact', async () => {
    const name = `Robert'); DROP TABLE tenants;-- 🦄 Ünïcødé ‮ ${'x'.repeat(100)}`
    const { id } = await createTenant(t.app, { name })
    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/tenants/${id}`,
      headers: admin,
    })
    expect(detail.json().name).toBe(name)
  })

  it.each([
    ['wrong type', { name: 42 }, 'INVALID_REQUEST_BODY'],
    ['unknown field', { name: 'x', color: 'red' }, 'INVALID_REQUEST_BODY'],
    ['empty name', { name: '' }, 'INVALID_REQUEST_BODY'],
    ['huge name', { name: 'x'.repeat(10_000) }, 'INVALID_REQUEST_BODY'],
    ['control character', { name: 'a\u0000b' }, 'INVALID_REQUEST_BODY'],
    ['lone surrogate', { name: 'a\ud800b' }, 'INVALID_REQUEST_BODY'],
    ['unknown plan', { name: 'x', plan: 'gold' }, 'INVALID_REQUEST_BODY'],
    ['negative limit', { name: 'x', rateLimitPerMinute: -1 }, 'INVALID_REQUEST_BODY'],
    ['array body', [1, 2], 'INVALID_REQUEST_BODY'],
  ])('refuses a tenant with %s', async (_what, payload, code) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: admin,
      payload,
    })
    expect(res.statusCode).toBe(400)
    expect(errorCode(res)).toBe(code)
    expect(res.json().requestId).toBe(res.headers['x-request-id'])
  })

  it('names the unknown field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: admin,
      payload: { name: 'x', colour: 'red' },
    })
    expect(res.json().error.message).toContain('body.colour')
  })

  it('answers malformed JSON, wrong content type and huge bodies with 4xx', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"name":',
    })
    expect(malformed.statusCode).toBe(400)
    expect(errorCode(malformed)).toBe('INVALID_REQUEST_BODY')
    const proto = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"name":"x","__proto__":{"isAdmin":true}}',
    })
    expect(proto.statusCode).toBe(400)
    expect(errorCode(proto)).toBe('INVALID_REQUEST_BODY')
    // Spelled with escapes, nested, or through constructor.prototype: refused alike.
    for (const payload of [
      '{"name":"x","\\u005f_proto__":{"isAdmin":true}}',
      '{"name":"x","metadata":[{"a":{"__proto__":{}}}]}',
      '{"name":"x","constructor":{"prototype":{"isAdmin":true}}}',
    ]) {
      const poisoned = await t.app.inject({
        method: 'POST',
        url: '/admin/tenants',
        headers: { ...admin, 'content-type': 'application/json' },
        payload,
      })
      expect(poisoned.statusCode, payload).toBe(400)
      expect(errorCode(poisoned)).toBe('INVALID_REQUEST_BODY')
    }
    const empty = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '',
    })
    expect(empty.statusCode).toBe(400)
    const text = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { ...admin, 'content-type': 'text/plain' },
      payload: 'name=x',
    })
    expect(text.statusCode).toBe(415)
    expect(errorCode(text)).toBe('UNSUPPORTED_MEDIA_TYPE')
    const huge = await t.app.inject({
      method: 'POST',
      url: '/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2_000_000) }),
    })
    expect(huge.statusCode).toBe(413)
    expect(errorCode(huge)).toBe('PAYLOAD_TOO_LARGE')
  })

  it('404s unknown and malformed tenant ids', async () => {
    for (const id of ['ten_doesnotexist000000', 'not-an-id', "1' OR '1'='1"]) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/admin/tenants/${encodeURIComponent(id)}`,
        headers: admin,
      })
      expect(res.statusCode).toBe(404)
      expect(errorCode(res)).toBe('TENANT_NOT_FOUND')
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/admin/tenants/ten_doesnotexist000000',
      headers: admin,
      payload: { name: 'x' },
    })
    expect(patch.statusCode).toBe(404)
  })

  it('creates several live keys and a test key, and revokes one', async () => {
    const tenant = await createTenant(t.app)
    const second = await createKey(t.app, tenant.id, 'live')
    const test = await createKey(t.app, tenant.id, 'test')
    expect(test.key).toMatch(/^loom_test_/)
    const keys = await t.app.inject({
      method: 'GET',
      url: `/admin/tenants/${tenant.id}/keys`,
      headers: admin,
    })
    expect(keys.json()).toHaveLength(3)
    expect(JSON.stringify(keys.json())).not.toContain(second.key)
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/admin/tenants/${tenant.id}/keys/${second.keyId}`,
      headers: admin,
    })
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().revokedAt).not.toBeNull()
    // Another tenant's key id is not found under this tenant.
    const other = await createTenant(t.app)
    const cross = await t.app.inject({
      method: 'DELETE',
      url: `/admin/tenants/${other.id}/keys/${test.keyId}`,
      headers: admin,
    })
    expect(cross.statusCode).toBe(404)
    expect(errorCode(cross)).toBe('API_KEY_NOT_FOUND')
  })

  it('refuses a key on the request after its revocation, and a deactivated tenant, though just used', async () => {
    const tenant = await createTenant(t.app)
    const second = await createKey(t.app, tenant.id, 'live')
    const remoteAddress = randomAddress()
    const usage = (key: string) =>
      t.app.inject({
        method: 'GET',
        url: '/usage',
        headers: { 'x-tenant-api-key': key },
        remoteAddress,
      })
    // Both keys' lookups are now remembered by the process.
    expect((await usage(second.key)).statusCode).toBe(200)
    expect((await usage(tenant.key)).statusCode).toBe(200)
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/admin/tenants/${tenant.id}/keys/${second.keyId}`,
      headers: admin,
    })
    expect(revoked.statusCode).toBe(200)
    expect((await usage(second.key)).statusCode).toBe(401)
    expect((await usage(tenant.key)).statusCode).toBe(200)
    const deactivated = await t.app.inject({
      method: 'PATCH',
      url: `/admin/tenants/${tenant.id}`,
      headers: admin,
      payload: { isActive: false },
    })
    expect(deactivated.statusCode).toBe(200)
    expect((await usage(tenant.key)).statusCode).toBe(401)
  })

  it('refuses every admin route without the right admin key', async () => {
    const tenant = await createTenant(t.app)
    const routes = [
      ['GET', '/admin/tenants'],
      ['POST', '/admin/tenants'],
      ['GET', `/admin/tenants/${tenant.id}`],
      ['PATCH', `/admin/tenants/${tenant.id}`],
      ['GET', `/admin/tenants/${tenant.id}/keys`],
      ['POST', `/admin/tenants/${tenant.id}/keys`],
      ['DELETE', `/admin/tenants/${tenant.id}/keys/${tenant.keyId}`],
      ['GET', '/admin/metrics'],
      ['GET', '/admin/logs'],
    ] as const
    for (const [method, url] of routes) {
      for (const headers of [{}, { 'x-admin-key': 'wrong' }, { 'x-tenant-api-key': tenant.key }]) {
        const res = await t.app.inject({
          method,
          url,
          headers,
          payload: method === 'GET' ? undefined : {},
          remoteAddress: randomAddress(),
        })
        expect(res.statusCode, `${method} ${url}`).toBe(401)
        expect(errorCode(res)).toBe('UNAUTHENTICATED_ADMIN')
      }
    }
  })

  it('reports metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/metrics', headers: admin })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      dbStatus: 'connected',
      redisStatus: 'not_configured',
      totalVerifications: 0,
    })
    expect(body.totalTenants).toBeGreaterThan(0)
  })

  it('keeps a request log with secrets removed, filterable', async () => {
    await t.app.inject({ method: 'GET', url: '/admin/tenants?token=s3cret&x=1', headers: admin })
    await t.app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'my-trace-1' },
    })
    await new Promise((r) => setTimeout(r, 1200))
    const all = await t.app.inject({ method: 'GET', url: '/admin/logs?limit=50', headers: admin })
    const logs = all.json<{ logs: { url: string; status: number; requestId: string }[] }>().logs
    const secretLine = logs.find((l) => l.url.startsWith('/admin/tenants?'))
    expect(secretLine?.url).toBe('/admin/tenants?token=[redacted]&x=[redacted]')
    expect(JSON.stringify(logs)).not.toContain('s3cret')
    const notFound = await t.app.inject({
      method: 'GET',
      url: '/admin/logs?status=404',
      headers: admin,
    })
    const entries = notFound.json<{ logs: { status: number; requestId: string }[] }>().logs
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.every((l) => l.status === 404)).toBe(true)
    expect(entries.some((l) => l.requestId === 'my-trace-1')).toBe(true)
    const future = await t.app.inject({
      method: 'GET',
      url: '/admin/logs?since=2999-01-01T00:00:00Z',
      headers: admin,
    })
    expect(future.json().logs).toEqual([])
    const bad = await t.app.inject({ method: 'GET', url: '/admin/logs?limit=abc', headers: admin })
    expect(bad.statusCode).toBe(400)
    expect(errorCode(bad)).toBe('INVALID_PARAMETERS')
  })

  it('keeps a sane X-Request-ID and replaces an insane one', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'abc-123' },
    })
    expect(kept.headers['x-request-id']).toBe('abc-123')
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id\u0007<script>' },
    })
    expect(replaced.headers['x-request-id']).toMatch(/^req_/)
  })

  it('serves the OpenAPI document and the docs UI', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(doc.statusCode).toBe(200)
    expect(doc.json().openapi).toBe('3.1.0')
    expect(Object.keys(doc.json().paths)).toContain('/admin/tenants/{id}')
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.body).toContain('swagger')
  })
})

describe('health without a database', () => {
  it('answers 503 with database disconnected when the database is unreachable', async () => {
    const t = await startTestApp('sqlite')
    try {
      await t.deps.store.db.destroy()
      const res = await t.app.inject({ method: 'GET', url: '/health' })
      expect(res.statusCode).toBe(503)
      expect(res.json()).toEqual({
        status: 'degraded',
        database: 'disconnected',
        redis: 'not_configured',
        engine: 'unchecked',
      })
      const metrics = await t.app.inject({ method: 'GET', url: '/admin/metrics', headers: admin })
      expect(metrics.statusCode).toBe(200)
      expect(metrics.json().dbStatus).toBe('disconnected')
    } finally {
      await t.app.close()
      await t.deps.close()
      await t.db.drop()
    }
  })
})
