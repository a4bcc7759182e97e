// What a token attests: every token says what its claims rest on (method) and in which mode it
// was minted (livemode), and so does every result; a tenant's own outcome (/verify/submit) is
// said to be the tenant's word, and an operator can turn it off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { admin, createKey, createTenant, dialects, errorCode, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'

describe.each(dialects())('what tokens attest on %s', (dialect) => {
  let t: TestApp
  let tenant: { id: string; key: string }
  let testKey: string
  beforeAll(async () => {
    t = await startTestApp(dialect)
    tenant = await createTenant(t.app)
    testKey = (await createKey(t.app, tenant.id, 'test')).key
  })
  afterAll(async () => t.close())

  const post = (url: string, key: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url, headers: { 'x-tenant-api-key': key }, payload })

  async function validate(token: string, key: string) {
    return (await post('/tokens/validate', key, { token })).json<Record<string, unknown>>()
  }

  it('a document read by Loom: method document, livemode true', async () => {
    const started = await post('/verify/start', tenant.key, {})
    const id = started.json<{ verificationId: string }>().verificationId
    const doc = await passport({ adult: true })
    await post('/verify/images', tenant.key, {
      verificationId: id,
      type: 'document_front',
      image: doc.image.toString('base64'),
    })
    const done = await post('/verify/complete', tenant.key, { verificationId: id })
    expect(done.json()).toMatchObject({
      livemode: true,
      status: 'approved',
      result: { method: 'document' },
    })
    const token = done.json<{ token: string }>().token
    expect(decodeJwt(token)).toMatchObject({ livemode: true, method: 'document' })
    expect(await validate(token, tenant.key)).toMatchObject({
      valid: true,
      livemode: true,
      method: 'document',
    })
  })

  it('a test-mode mock: method mock, livemode false, never valid for a live key', async () => {
    const started = await post('/verify/start', testKey, { mock_behavior: 'approve' })
    const id = started.json<{ verificationId: string }>().verificationId
    const done = await post('/verify/complete', testKey, { verificationId: id })
    expect(done.json()).toMatchObject({ livemode: false, result: { method: 'mock' } })
    const token = done.json<{ token: string }>().token
    expect(decodeJwt(token)).toMatchObject({ livemode: false, method: 'mock' })
    expect(await validate(token, testKey)).toMatchObject({ valid: true, method: 'mock' })
    expect(await validate(token, tenant.key)).toMatchObject({
      valid: false,
      reason: 'LIVEMODE_MISMATCH',
    })
  })

  it('test_mode on a live key: a mock result, marked, that never validates as live', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { authorization: `Bearer ${tenant.key}` },
      payload: {
        document_type: 'passport',
        document_data: (await passport({ adult: true })).image.toString('base64'),
        test_mode: true,
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ status: 'verified', test_mode: true, method: 'mock' })
    const token = res.json<{ token: string }>().token
    expect(decodeJwt(token)).toMatchObject({ livemode: false, method: 'mock' })
    expect(await validate(token, tenant.key)).toMatchObject({ reason: 'LIVEMODE_MISMATCH' })
  })

  it('the tenant’s own outcome: method tenant_attested, and the operator may turn it off', async () => {
    const started = await post('/verify/start', tenant.key, {})
    const id = started.json<{ verificationId: string }>().verificationId
    const submitted = await post('/verify/submit', tenant.key, {
      verificationId: id,
      status: 'approved',
      verifiedAge: 30,
    })
    expect(submitted.statusCode).toBe(200)
    expect(submitted.json()).toMatchObject({ result: { method: 'tenant_attested' } })
    const token = submitted.json<{ token: string }>().token
    expect(decodeJwt(token)).toMatchObject({ method: 'tenant_attested', livemode: true })
    expect(await validate(token, tenant.key)).toMatchObject({
      valid: true,
      method: 'tenant_attested',
    })

    const off = await t.app.inject({
      method: 'PATCH',
      url: `/admin/tenants/${tenant.id}`,
      headers: admin,
      payload: { submitAllowed: false },
    })
    expect(off.json()).toMatchObject({ submitAllowed: false })
    const another = await post('/verify/start', tenant.key, {})
    const refused = await post('/verify/submit', tenant.key, {
      verificationId: another.json<{ verificationId: string }>().verificationId,
      status: 'approved',
      verifiedAge: 30,
    })
    expect(refused.statusCode).toBe(403)
    expect(errorCode(refused)).toBe('SUBMIT_NOT_ALLOWED')
    await t.app.inject({
      method: 'PATCH',
      url: `/admin/tenants/${tenant.id}`,
      headers: admin,
      payload: { submitAllowed: true },
    })
  })
})
