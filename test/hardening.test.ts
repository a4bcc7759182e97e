// Input that used to end in a 500 or to be taken when it should not, each now a clear 4xx, and
// the smaller protections around it (headers, URLs kept in the request log, callback URLs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, createTenant, dialects, errorCode, eventually, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'

describe.each(dialects())('hardening on %s', (dialect) => {
  let t: TestApp
  let tenant: { id: string; key: string }
  beforeAll(async () => {
    // Private webhooks off, as in production: callback URLs are judged at creation.
    t = await startTestApp(dialect, { env: { LOOM_ALLOW_PRIVATE_WEBHOOKS: 'false' } })
    tenant = await createTenant(t.app)
  })
  afterAll(async () => t.close())

  const headers = () => ({ 'x-tenant-api-key': tenant.key })
  const start = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/verify/start', headers: headers(), payload })

  it('answers NUL characters in bodies, paths and queries with a 400 naming the field', async () => {
    const body = await start({ state: 'csrf\u0000token' })
    expect(body.statusCode).toBe(400)
    expect(body.json().error.message).toMatch(/body\.state may not contain NUL/)
    const metadata = await start({ metadata: { 'k\u0000': 'v' } })
    expect(metadata.statusCode).toBe(400)
    for (const url of [
      '/webhooks/deliveries?endpointId=%00',
      '/webhooks/deliveries?verificationId=ver_%00',
      '/verify/status?verificationId=ver_%00x',
      '/webhooks/endpoints/wh_%00',
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: headers() })
      expect(res.statusCode, url).toBe(400)
      expect(errorCode(res), url).toBe('INVALID_PARAMETERS')
    }
  })

  it('refuses metadata nested deeper than the limit instead of overflowing the stack', async () => {
    // Written as text: serializing it here would overflow this process's stack too.
    const text = `{"metadata":{"deep":${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}}}`
    expect(text.length).toBeLessThan(16 * 1024 * 2)
    const res = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { ...headers(), 'content-type': 'application/json' },
      payload: text,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/levels deep/)
    expect((await start({ metadata: { a: { b: { c: 1 } } } })).statusCode).toBe(200)
  })

  it('refuses callback URLs with credentials or private targets when they are given', async () => {
    for (const url of [
      'https://user:pass@shop.example/done',
      'https://127.0.0.1/done',
      'https://[::ffff:0:10.0.0.1]/done',
      'https://169.254.169.254/latest',
      'https://localhost/done',
      'http://shop.example/done',
    ]) {
      const res = await start({ callback_url: url })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().error.message, url).toMatch(/^callback_url /)
    }
    expect((await start({ callback_url: 'https://shop.example/done' })).statusCode).toBe(200)
  })

  it('says nosniff on every answer', async () => {
    for (const [method, url] of [
      ['GET', '/health'],
      ['GET', '/nowhere'],
      ['GET', '/.well-known/jwks.json'],
      ['POST', '/verify/start'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: headers(), payload: {} })
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
    }
  })

  it('keeps neither free text nor tokens from query strings in the request log', async () => {
    await t.app.inject({
      method: 'GET',
      url: '/v1/sessions?external_id=jane.doe%40example.com&limit=3',
      headers: { 'x-api-key': tenant.key },
    })
    const entry = await eventually(async () => {
      await t.app.inject({ method: 'GET', url: '/health' })
      const res = await t.app.inject({
        method: 'GET',
        url: `/admin/logs?tenantId=${tenant.id}`,
        headers: admin,
      })
      return res
        .json<{ logs: { url: string }[] }>()
        .logs.find((l) => l.url.startsWith('/v1/sessions'))
    })
    expect(entry.url).toBe('/v1/sessions?external_id=[redacted]&limit=3')
  })

  it('takes client_secret as one string only', async () => {
    for (const body of [
      { grant_type: 'client_credentials', client_secret: [tenant.key] },
      { grant_type: ['client_credentials'], client_secret: tenant.key },
      { grant_type: 'client_credentials', client_secret: { key: tenant.key } },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oidc/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      })
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error).toBe('invalid_request')
    }
  })
})
