// Test and live are separate worlds within a tenant: a test key sees, changes and deletes only
// test verifications, a live key only live ones, on every surface; and an age token validates
// only for a key of its own mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, dialects, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { JobRunner } from '../src/jobs/queue.ts'
import { dispatchHandler } from '../src/jobs/webhooks.ts'

describe.each(dialects())('test and live keys on %s', (dialect) => {
  let t: TestApp
  let liveKey: string
  let testKey: string
  /** A live verification, approved by reading a passport, with its token and image. */
  const live = { id: '', token: '', imageId: '' }
  /** A test verification, approved by its mock behaviour, with its token. */
  const test = { id: '', token: '' }

  beforeAll(async () => {
    t = await startTestApp(dialect)
    const tenant = await createTenant(t.app)
    liveKey = tenant.key
    testKey = (await createKey(t.app, tenant.id, 'test')).key

    const started = await post('/verify/start', liveKey, {})
    live.id = started.json<{ verificationId: string }>().verificationId
    const doc = await passport({ adult: true })
    const upload = await post('/verify/images', liveKey, {
      verificationId: live.id,
      type: 'document_front',
      image: doc.image.toString('base64'),
    })
    live.imageId = upload.json<{ imageId: string }>().imageId
    const done = await post('/verify/complete', liveKey, { verificationId: live.id })
    expect(done.json()).toMatchObject({ status: 'approved', token: expect.any(String) })
    live.token = done.json<{ token: string }>().token

    const testStarted = await post('/verify/start', testKey, { mock_behavior: 'approve' })
    test.id = testStarted.json<{ verificationId: string }>().verificationId
    const testDone = await post('/verify/complete', testKey, { verificationId: test.id })
    test.token = testDone.json<{ token: string }>().token
  })
  afterAll(async () => t.close())

  function post(url: string, key: string, payload: Record<string, unknown>) {
    return t.app.inject({ method: 'POST', url, headers: { 'x-tenant-api-key': key }, payload })
  }

  /** Every route that names a verification, for one id, as the given key. */
  function routesFor(id: string, imageId: string) {
    return [
      { method: 'GET', url: `/verify/status?verificationId=${id}` },
      { method: 'GET', url: `/verify/result?verificationId=${id}` },
      { method: 'GET', url: `/verify/events?verificationId=${id}` },
      { method: 'GET', url: `/verify/images?verificationId=${id}` },
      { method: 'GET', url: `/verify/images/${imageId}?verificationId=${id}` },
      { method: 'POST', url: '/verify/complete', payload: { verificationId: id } },
      {
        method: 'POST',
        url: '/verify/submit',
        payload: { verificationId: id, status: 'approved', verifiedAge: 30 },
      },
      {
        method: 'POST',
        url: '/verify/images',
        payload: { verificationId: id, type: 'selfie', image: 'AAAA' },
      },
      { method: 'POST', url: '/tokens/revoke', payload: { verificationId: id } },
      { method: 'GET', url: `/api/v1/verification/${id}` },
      { method: 'GET', url: `/api/v1/verification/${id}/result` },
      { method: 'GET', url: `/api/v1/verification/${id}/images` },
      { method: 'GET', url: `/api/v1/verification/${id}/images/${imageId}` },
      { method: 'DELETE', url: `/api/v1/verification/${id}` },
      { method: 'DELETE', url: `/verify/${id}` },
    ] as const
  }

  it('a test key cannot read, change or delete a live verification on any surface', async () => {
    for (const route of routesFor(live.id, live.imageId)) {
      const res = await t.app.inject({
        method: route.method,
        url: route.url,
        headers: { 'x-tenant-api-key': testKey },
        ...('payload' in route && { payload: route.payload }),
      })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(404)
      expect(res.body).not.toContain(live.token)
    }
    // Nothing happened to the live verification: still approved, its data and image still there.
    const result = await t.app.inject({
      method: 'GET',
      url: `/verify/result?verificationId=${live.id}`,
      headers: { 'x-tenant-api-key': liveKey },
    })
    expect(result.statusCode).toBe(200)
    expect(result.json()).toMatchObject({ status: 'approved' })
    expect(JSON.stringify(result.json())).toContain('dateOfBirth')
    const image = await t.app.inject({
      method: 'GET',
      url: `/verify/images/${live.imageId}?verificationId=${live.id}`,
      headers: { 'x-tenant-api-key': liveKey },
    })
    expect(image.statusCode).toBe(200)
    const validated = await post('/tokens/validate', liveKey, { token: live.token })
    expect(validated.json()).toMatchObject({ valid: true, livemode: true })
  })

  it('a live key cannot read, change or delete a test verification', async () => {
    for (const route of routesFor(test.id, 'img_0000000000000000000000')) {
      const res = await t.app.inject({
        method: route.method,
        url: route.url,
        headers: { 'x-tenant-api-key': liveKey },
        ...('payload' in route && { payload: route.payload }),
      })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(404)
    }
    const status = await t.app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${test.id}`,
      headers: { 'x-tenant-api-key': testKey },
    })
    expect(status.json()).toMatchObject({ status: 'approved' })
  })

  it('tokens validate only for a key of their own mode', async () => {
    expect((await post('/tokens/validate', testKey, { token: test.token })).json()).toMatchObject({
      valid: true,
      livemode: false,
    })
    for (const [token, key] of [
      [test.token, liveKey],
      [live.token, testKey],
    ] as const) {
      // Twice: the second answer comes from the cache of verified tokens.
      for (let i = 0; i < 2; i++) {
        expect((await post('/tokens/validate', key, { token })).json()).toEqual({
          valid: false,
          over18: false,
          reason: 'LIVEMODE_MISMATCH',
        })
      }
    }
    const revoke = await post('/tokens/revoke', testKey, { token: live.token })
    expect(revoke.statusCode).toBe(400)
    expect((await post('/tokens/validate', liveKey, { token: live.token })).json().valid).toBe(true)
  })

  it('lists only the mode’s webhook deliveries', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': liveKey },
      payload: { url: 'http://127.0.0.1:9/hooks' },
    })
    const started = await post('/verify/start', liveKey, {})
    const liveId = started.json<{ verificationId: string }>().verificationId
    const testStarted = await post('/verify/start', testKey, {})
    const testId = testStarted.json<{ verificationId: string }>().verificationId
    // The dispatch jobs turn the two verifications' events into deliveries (never sent: the
    // deliver jobs are not run here).
    const runner = new JobRunner(t.deps, { concurrency: 8, leaseMs: 30_000, pollMs: 20 })
    runner.register(dispatchHandler)
    while ((await runner.runDue()) > 0);
    const list = async (key: string) =>
      (
        await t.app.inject({
          method: 'GET',
          url: '/webhooks/deliveries',
          headers: { 'x-tenant-api-key': key },
        })
      ).json<{ data: { verificationId: string; id: string }[] }>().data
    const liveDeliveries = await list(liveKey)
    const testDeliveries = await list(testKey)
    expect(liveDeliveries.some((d) => d.verificationId === liveId)).toBe(true)
    expect(liveDeliveries.some((d) => d.verificationId === testId)).toBe(false)
    expect(testDeliveries.some((d) => d.verificationId === testId)).toBe(true)
    expect(testDeliveries.some((d) => d.verificationId === liveId)).toBe(false)
    const liveDelivery = liveDeliveries.find((d) => d.verificationId === liveId)!
    const detail = await t.app.inject({
      method: 'GET',
      url: `/webhooks/deliveries/${liveDelivery.id}`,
      headers: { 'x-tenant-api-key': testKey },
    })
    expect(detail.statusCode).toBe(404)
    const retry = await t.app.inject({
      method: 'POST',
      url: `/webhooks/deliveries/${liveDelivery.id}/retry`,
      headers: { 'x-tenant-api-key': testKey },
    })
    expect(retry.statusCode).toBe(404)
  })
})
