// The one-shot verify API, POST /v1/verify: one image, sync or async, its error shape and test
// scenarios.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import {
  createKey,
  createTenant,
  dialects,
  randomAddress,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport, today } from './specimens.ts'
import { ageOn } from '../src/engine/types.ts'
import { startWorker } from '../src/jobs/worker.ts'

describe.each(dialects())('POST /v1/verify on %s', (dialect) => {
  let t: TestApp
  let live: { id: string; key: string }
  let testKey: string
  beforeAll(async () => {
    t = await startTestApp(dialect)
    live = await createTenant(t.app)
    testKey = (await createKey(t.app, live.id, 'test')).key
  })
  afterAll(async () => t.close())

  async function verify(
    key: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    return t.app.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { authorization: `Bearer ${key}`, ...headers },
      payload: body,
    })
  }

  it('verifies an adult’s passport synchronously, in the one-shot verify API’s shape', async () => {
    const doc = await passport({ adult: true })
    const res = await verify(
      live.key,
      {
        document_type: 'passport',
        document_data: doc.image.toString('base64'),
        metadata: { user_id: 'user_123' },
      },
      { 'x-request-id': 'verify_user_123_1' },
    )
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      request_id: 'verify_user_123_1',
      status: 'verified',
      verified_age: ageOn(doc.identity.dateOfBirth, today()),
      metadata: { user_id: 'user_123' },
    })
    expect(body.confidence_score).toBeGreaterThan(0.8)
    expect(body.processing_time_ms).toBeGreaterThanOrEqual(0)
    expect(body.extraction_data).toBeUndefined()
    expect(res.headers['x-request-id']).toBe('verify_user_123_1')
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': live.key },
    })
    expect(usage.json().used).toBe(1)
  })

  it('returns extraction data for full verification, and rejects a minor', async () => {
    const doc = await passport({ adult: true })
    const full = await verify(live.key, {
      document_type: 'passport',
      document_data: doc.image.toString('base64'),
      verification_type: 'full_verification',
    })
    expect(full.json().extraction_data.person).toMatchObject({
      lastName: doc.identity.lastName,
      dateOfBirth: doc.identity.dateOfBirth,
    })
    const minor = await passport({ adult: false })
    const res = await verify(live.key, {
      document_type: 'passport',
      document_data: minor.image.toString('base64'),
    })
    expect(res.json()).toMatchObject({ status: 'rejected', reason: 'underage' })
    expect(res.json().token).toBeUndefined()
  })

  it('follows the one-shot verify API’s test scenarios without counting usage', async () => {
    const tenant = await createTenant(t.app)
    const image = (await passport()).image.toString('base64')
    const cases = [
      ['passport', { status: 'verified', verified_age: 25 }],
      ['drivers_license', { status: 'rejected', verified_age: 17 }],
      ['national_id', { status: 'rejected', reason: 'document_expired' }],
    ] as const
    for (const [documentType, expected] of cases) {
      const res = await verify(tenant.key, {
        document_type: documentType,
        document_data: image,
        test_mode: true,
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject(expected)
    }
    const blurry = await sharp((await passport()).image)
      .blur(30)
      .png()
      .toBuffer()
    const poor = await verify(tenant.key, {
      document_type: 'passport',
      document_data: blurry.toString('base64'),
      test_mode: true,
    })
    expect(poor.statusCode).toBe(400)
    expect(poor.json().error.code).toBe('DOCUMENT_QUALITY_LOW')
    const usage = await t.app.inject({
      method: 'GET',
      url: '/usage',
      headers: { 'x-tenant-api-key': tenant.key },
    })
    expect(usage.json().used).toBe(0)
    expect(
      (await verify(testKey, { document_type: 'passport', document_data: image })).json().status,
    ).toBe('verified')
  })

  it('answers bad input in the one-shot verify API’s error shape', async () => {
    const notImage = await verify(live.key, {
      document_type: 'passport',
      document_data: Buffer.from('GIF89a not really').toString('base64'),
    })
    expect(notImage.statusCode).toBe(400)
    expect(notImage.json()).toMatchObject({ error: { code: 'DOCUMENT_INVALID_FORMAT' } })
    expect(notImage.json().request_id).toEqual(expect.any(String))
    expect(notImage.json().error.message).toMatch(/JPEG|PNG/i)
    const unauth = await t.app.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { authorization: 'Bearer nope' },
      payload: {},
      remoteAddress: randomAddress(),
    })
    expect(unauth.statusCode).toBe(401)
    expect(unauth.json()).toMatchObject({ error: { code: 'AUTH_INVALID_KEY' } })
    for (const body of [
      { document_type: 'passport' },
      { document_type: 'library_card', document_data: 'AAAA' },
      { document_type: 'passport', document_data: '!!!' },
      { document_type: 'passport', document_data: 'AAAA', webhook_url: 'javascript:alert(1)' },
    ]) {
      const res = await verify(live.key, body)
      expect(res.statusCode).toBe(400)
      expect(res.json().request_id).toEqual(expect.any(String))
    }
  })

  it('says when to retry after the rate limit, as details.retry_after_seconds', async () => {
    const tenant = await createTenant(t.app, { rateLimitPerMinute: 1 })
    await verify(tenant.key, { document_type: 'passport', document_data: 'AAAA', test_mode: true })
    const limited = await verify(tenant.key, {
      document_type: 'passport',
      document_data: 'AAAA',
      test_mode: true,
    })
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('RATE_LIMIT_EXCEEDED')
    expect(limited.json().error.details.retry_after_seconds).toBeGreaterThan(0)
  })

  it('accepts with 202 and delivers the result by webhook', async () => {
    const receiver = await startWebhookReceiver()
    const worker = startWorker(t.deps, { maintenance: false })
    try {
      const doc = await passport({ adult: true })
      const res = await verify(
        live.key,
        {
          document_type: 'passport',
          document_data: doc.image.toString('base64'),
          webhook_url: `${receiver.url}/hook`,
          metadata: { order: 7 },
        },
        { 'x-request-id': 'async-1' },
      )
      expect(res.statusCode).toBe(202)
      expect(res.json()).toMatchObject({
        request_id: 'async-1',
        status: 'processing',
        webhook_url: `${receiver.url}/hook`,
      })
      await receiver.waitFor(
        (r) => r.some((w) => w.body.includes('verification.completed')),
        30_000,
      )
      const completed = receiver.received.find((w) => w.body.includes('verification.completed'))!
      const payload = JSON.parse(completed.body)
      expect(payload.data.v1).toMatchObject({
        request_id: 'async-1',
        status: 'verified',
        verified_age: ageOn(doc.identity.dateOfBirth, today()),
        metadata: { order: 7 },
      })
      expect(completed.headers['webhook-signature']).toMatch(/^v1,/)
    } finally {
      await worker.stop()
      await receiver.close()
    }
  })
})
