import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import {
  TestClock,
  admin,
  createKey,
  createTenant,
  dialects,
  errorCode,
  eventually,
  expectTenantAuthRequired,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { ReceivedWebhook, TestApp, WebhookReceiver } from './helpers.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'

// Short schedules so retries and dead letters happen within a test; tests never assert timings.
const FAST = {
  LOOM_WEBHOOK_RETRY_SCHEDULE: '20ms,20ms,20ms',
  // Long enough that a loaded 2-core machine answers in time; the timeout test hangs on purpose.
  LOOM_WEBHOOK_TIMEOUT_MS: '2000',
  LOOM_JOB_LEASE_SECONDS: '5',
  LOOM_WORKER_POLL_MS: '20',
  LOOM_WEBHOOK_SECRET_GRACE_HOURS: '24',
}

describe.each(dialects())('webhooks on %s', (dialect) => {
  let t: TestApp
  let worker: RunningWorker
  let receiver: WebhookReceiver
  let tenant: { id: string; key: string }
  let testKey: string
  let other: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect, { env: FAST })
    worker = startWorker(t.deps, { maintenance: false })
    receiver = await startWebhookReceiver((path, count) => {
      if (path.startsWith('/fail')) return 500
      if (path.startsWith('/flaky')) return count === 1 ? 500 : 200
      if (path.startsWith('/gone')) return 410
      if (path.startsWith('/slow')) return 'hang'
      return 200
    })
    tenant = await createTenant(t.app)
    testKey = (await createKey(t.app, tenant.id, 'test')).key
    other = await createTenant(t.app)
  })
  afterAll(async () => {
    await worker.stop()
    await receiver.close()
    await t.close()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function as(key: string) {
    return { 'x-tenant-api-key': key }
  }
  async function createEndpoint(
    path: string,
    body: Record<string, unknown> = {},
    key = tenant.key,
  ) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: as(key),
      payload: { url: `${receiver.url}${path}`, ...body },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json<{ id: string; secret: string; url: string; events: string[] }>()
  }
  /** Starts and completes a test-mode verification; returns its id. */
  async function verification(payload: Record<string, unknown> = {}): Promise<string> {
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: as(testKey),
      payload: { mock_behavior: 'approve', ...payload },
    })
    expect(started.statusCode, started.body).toBe(200)
    const id = started.json<{ verificationId: string }>().verificationId
    const done = await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: as(testKey),
      payload: { verificationId: id },
    })
    expect(done.statusCode, done.body).toBe(200)
    return id
  }
  function bodyOf(r: ReceivedWebhook): {
    id: string
    type: string
    verificationId: string
    metadata: unknown
    data: Record<string, unknown>
  } {
    return JSON.parse(r.body)
  }
  function forVerification(path: string, id: string, type?: string): ReceivedWebhook[] {
    return receiver
      .at(path)
      .filter(
        (r) => bodyOf(r).verificationId === id && (type === undefined || bodyOf(r).type === type),
      )
  }
  // Deliveries are listed in the mode of their verification's key: these tests' are test ones.
  async function delivery(id: string, key = testKey) {
    return t.app.inject({ method: 'GET', url: `/webhooks/deliveries/${id}`, headers: as(key) })
  }
  async function deliveriesOf(verificationId: string, key = testKey, endpointId?: string) {
    const res = await t.app.inject({
      method: 'GET',
      url: `/webhooks/deliveries?verificationId=${verificationId}${endpointId ? `&endpointId=${endpointId}` : ''}`,
      headers: as(key),
    })
    expect(res.statusCode).toBe(200)
    return res.json<{
      data: { id: string; status: string; eventType: string; attempts: number }[]
    }>().data
  }

  it('manages endpoints: create (secret once), list, read, change, delete', async () => {
    const created = await createEndpoint('/crud', {
      events: ['verification.completed'],
      description: 'orders service',
    })
    expect(created.id).toMatch(/^whe_/)
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    const keyBytes = Buffer.from(created.secret.slice('whsec_'.length), 'base64').length
    expect(keyBytes).toBeGreaterThanOrEqual(24)
    expect(keyBytes).toBeLessThanOrEqual(32)
    expect(created.events).toEqual(['verification.completed'])

    const one = await t.app.inject({
      method: 'GET',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
    })
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({
      id: created.id,
      enabled: true,
      description: 'orders service',
    })
    expect(one.json().secret).toBeUndefined()
    expect(one.body).not.toContain(created.secret)

    const list = await t.app.inject({
      method: 'GET',
      url: '/webhooks/endpoints',
      headers: as(tenant.key),
    })
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(created.id)
    expect(list.body).not.toContain('whsec_')

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
      payload: { events: ['*'], enabled: false, description: null },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ events: ['*'], enabled: false, description: null })

    // The secret is stored sealed, never as text.
    const row = await t.deps.store.db
      .selectFrom('webhookEndpoints')
      .select('secretSealed')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    expect(row.secretSealed).not.toContain(created.secret.slice(6, 20))

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
    })
    expect(deleted.statusCode).toBe(200)
    expect(deleted.json()).toEqual({ id: created.id, deleted: true })
    const gone = await t.app.inject({
      method: 'GET',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
    })
    expect(gone.statusCode).toBe(404)
    expect(errorCode(gone)).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
  })

  it('refuses bad endpoint input with a 400, unknown ids with a 404', async () => {
    const bad: unknown[] = [
      {},
      { url: 'not a url' },
      { url: 'ftp://example.com/hook' },
      { url: 'https://user:pw@example.com/hook' },
      { url: 'https://example.com', events: ['verification.exploded'] },
      { url: 'https://example.com', events: [] },
      { url: 'https://example.com', surprise: true },
      { url: 'https://example.com', description: 'a\u0000b' },
    ]
    for (const payload of bad) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: as(tenant.key),
        payload: payload as Record<string, unknown>,
      })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(errorCode(res)).toMatch(/^INVALID_/)
    }
    const created = await createEndpoint('/bad-input')
    const empty = await t.app.inject({
      method: 'PATCH',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
      payload: {},
    })
    expect(empty.statusCode).toBe(400)
    const badUrl = await t.app.inject({
      method: 'PATCH',
      url: `/webhooks/endpoints/${created.id}`,
      headers: as(tenant.key),
      payload: { url: 'gopher://x' },
    })
    expect(badUrl.statusCode).toBe(400)
    for (const id of ['whe_doesNotExist123', 'nonsense', "'; drop table jobs;--"]) {
      for (const [method, url] of [
        ['GET', `/webhooks/endpoints/${encodeURIComponent(id)}`],
        ['DELETE', `/webhooks/endpoints/${encodeURIComponent(id)}`],
        ['POST', `/webhooks/endpoints/${encodeURIComponent(id)}/rotate-secret`],
      ] as const) {
        const res = await t.app.inject({ method, url, headers: as(tenant.key) })
        expect(res.statusCode, `${method} ${url}`).toBe(404)
        expect(errorCode(res)).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
      }
    }
    const badStatus = await t.app.inject({
      method: 'GET',
      url: '/webhooks/deliveries?status=lost',
      headers: as(tenant.key),
    })
    expect(badStatus.statusCode).toBe(400)
    const badLimit = await t.app.inject({
      method: 'GET',
      url: '/webhooks/deliveries?limit=100000',
      headers: as(tenant.key),
    })
    expect(badLimit.statusCode).toBe(400)
    for (const [method, url] of [
      ['GET', '/webhooks/deliveries/del_doesNotExist123'],
      ['POST', '/webhooks/deliveries/del_doesNotExist123/retry'],
      ['GET', '/webhooks/deliveries/garbage'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: as(tenant.key) })
      expect(res.statusCode).toBe(404)
      expect(errorCode(res)).toBe('DELIVERY_NOT_FOUND')
    }
  })

  it('requires a tenant key on every webhook route', async () => {
    await expectTenantAuthRequired(t.app, [
      { method: 'POST', url: '/webhooks/endpoints', payload: { url: 'https://example.com' } },
      { method: 'GET', url: '/webhooks/endpoints' },
      { method: 'GET', url: '/webhooks/endpoints/whe_abcdefabcdef' },
      { method: 'PATCH', url: '/webhooks/endpoints/whe_abcdefabcdef', payload: { enabled: false } },
      { method: 'DELETE', url: '/webhooks/endpoints/whe_abcdefabcdef' },
      { method: 'POST', url: '/webhooks/endpoints/whe_abcdefabcdef/rotate-secret' },
      { method: 'GET', url: '/webhooks/secret' },
      { method: 'POST', url: '/webhooks/secret/rotate' },
      { method: 'GET', url: '/webhooks/deliveries' },
      { method: 'GET', url: '/webhooks/deliveries/del_abcdefabcdef' },
      { method: 'POST', url: '/webhooks/deliveries/del_abcdefabcdef/retry' },
    ])
  })

  it('delivers a signed verification.completed that the standardwebhooks library verifies', async () => {
    const endpoint = await createEndpoint('/signed')
    const id = await verification({ metadata: { user_id: 'user_123' } })
    await receiver.waitFor(
      () => forVerification('/signed', id, 'verification.completed').length > 0,
    )
    const [message] = forVerification('/signed', id, 'verification.completed')
    if (!message) throw new Error('no message')
    const verified = new Webhook(endpoint.secret).verify(message.body, message.headers) as Record<
      string,
      unknown
    >
    expect(verified).toMatchObject({
      type: 'verification.completed',
      verificationId: id,
      metadata: { user_id: 'user_123' },
      data: { verificationId: id, status: 'approved', result: { verified: true, over18: true } },
    })
    expect(String(verified.id)).toMatch(/^evt_/)
    expect(message.headers['webhook-id']).toMatch(/^del_/)
    expect(message.headers['x-webhook-event']).toBe('verification.completed')
    expect(message.headers['x-webhook-signature']).toBe(
      createHmac('sha256', endpoint.secret).update(message.body).digest('hex'),
    )
    // A receiver refuses a tampered body, a foreign secret and an old timestamp.
    expect(() =>
      new Webhook(endpoint.secret).verify(
        message.body.replace('approved', 'rejected'),
        message.headers,
      ),
    ).toThrow()
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
    expect(() => new Webhook(otherSecret).verify(message.body, message.headers)).toThrow()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 10 * 60_000)
    expect(() => new Webhook(endpoint.secret).verify(message.body, message.headers)).toThrow(
      /timestamp/i,
    )
    vi.useRealTimers()
    // The started event went out too, and the delivery log says delivered with one attempt.
    await receiver.waitFor(() => forVerification('/signed', id, 'verification.started').length > 0)
    const rows = await eventually(async () => {
      const list = (await deliveriesOf(id, testKey, endpoint.id)).filter(
        (d) => d.status === 'delivered',
      )
      return list.length >= 2 ? list : undefined
    })
    expect(rows.map((d) => d.eventType).sort()).toEqual([
      'verification.completed',
      'verification.started',
    ])
    const detail = await delivery(message.headers['webhook-id'] ?? '')
    expect(detail.statusCode).toBe(200)
    expect(detail.json()).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 })
    const log = detail.json().attemptLog as { statusCode: number; responseExcerpt: string }[]
    expect(log).toHaveLength(1)
    expect(log[0]?.statusCode).toBe(200)
    expect(Buffer.byteLength(log[0]?.responseExcerpt ?? '')).toBeLessThanOrEqual(1024)
  })

  it('sends only the event types an endpoint asked for', async () => {
    await createEndpoint('/only-completed', { events: ['verification.completed'] })
    const id = await verification()
    await receiver.waitFor(() => forVerification('/only-completed', id).length > 0)
    // The started event was recorded first; once completed arrived, started would have too.
    const everything = await eventually(async () => {
      const list = await deliveriesOf(id)
      return list.every((d) => d.status !== 'pending') ? list : undefined
    })
    expect(forVerification('/only-completed', id).map((r) => bodyOf(r).type)).toEqual([
      'verification.completed',
    ])
    expect(everything.filter((d) => d.eventType === 'verification.started').length).toBeGreaterThan(
      0,
    )
  })

  it('sends both signatures during a secret rotation, and both verify', async () => {
    const endpoint = await createEndpoint('/rotate', { events: ['verification.completed'] })
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${endpoint.id}/rotate-secret`,
      headers: as(tenant.key),
    })
    expect(rotated.statusCode).toBe(200)
    const newSecret = rotated.json<{ secret: string }>().secret
    expect(newSecret).toMatch(/^whsec_/)
    expect(newSecret).not.toBe(endpoint.secret)
    expect(rotated.json().previousSecretExpiresAt).not.toBeNull()
    const id = await verification()
    await receiver.waitFor(() => forVerification('/rotate', id).length > 0)
    const [message] = forVerification('/rotate', id)
    if (!message) throw new Error('no message')
    expect(message.headers['webhook-signature']?.split(' ')).toHaveLength(2)
    expect(() => new Webhook(newSecret).verify(message.body, message.headers)).not.toThrow()
    expect(() => new Webhook(endpoint.secret).verify(message.body, message.headers)).not.toThrow()
    // The legacy header is signed with the current secret.
    expect(message.headers['x-webhook-signature']).toBe(
      createHmac('sha256', newSecret).update(message.body).digest('hex'),
    )
  })

  it("delivers a verification's events to its callback_url, signed with the tenant secret", async () => {
    const secret = await t.app.inject({
      method: 'GET',
      url: '/webhooks/secret',
      headers: as(tenant.key),
    })
    expect(secret.statusCode).toBe(200)
    const callbackSecret = secret.json<{ secret: string }>().secret
    expect(callbackSecret).toMatch(/^whsec_/)
    const again = await t.app.inject({
      method: 'GET',
      url: '/webhooks/secret',
      headers: as(tenant.key),
    })
    expect(again.json().secret).toBe(callbackSecret)
    const otherSecret = await t.app.inject({
      method: 'GET',
      url: '/webhooks/secret',
      headers: as(other.key),
    })
    expect(otherSecret.json().secret).not.toBe(callbackSecret)

    const id = await verification({ callback_url: `${receiver.url}/callback` })
    await receiver.waitFor(() => forVerification('/callback', id).length >= 2)
    const types = forVerification('/callback', id).map((r) => bodyOf(r).type)
    expect(types.sort()).toEqual(['verification.completed', 'verification.started'])
    for (const message of forVerification('/callback', id)) {
      expect(() => new Webhook(callbackSecret).verify(message.body, message.headers)).not.toThrow()
    }
    const rotated = await t.app.inject({
      method: 'POST',
      url: '/webhooks/secret/rotate',
      headers: as(tenant.key),
    })
    expect(rotated.statusCode).toBe(200)
    expect(rotated.json().secret).not.toBe(callbackSecret)
    expect(rotated.json().previousSecretExpiresAt).not.toBeNull()
  })

  it('retries a 500 and keeps the webhook-id across attempts', async () => {
    const endpoint = await createEndpoint(`/flaky-${Math.random()}`, {
      events: ['verification.completed'],
    })
    const path = new URL(endpoint.url).pathname
    const id = await verification()
    await receiver.waitFor(() => forVerification(path, id).length >= 2)
    const [first, second] = forVerification(path, id)
    expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id'])
    const deliveryId = first?.headers['webhook-id'] ?? ''
    const detail = await eventually<{ attempts: number; attemptLog: { statusCode: number }[] }>(
      async () => {
        const res = await delivery(deliveryId)
        return res.json().status === 'delivered' ? res.json() : undefined
      },
    )
    expect(detail.attempts).toBe(2)
    expect(detail.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200])
  })

  it('dead-letters after the last attempt; the admin sees and retries it; the tenant resends', async () => {
    const endpoint = await createEndpoint('/fail', { events: ['verification.completed'] })
    const id = await verification()
    const failed = await eventually(async () => {
      const [d] = (await deliveriesOf(id, testKey, endpoint.id)).filter(
        (x) => x.status === 'failed',
      )
      return d
    })
    expect(failed.attempts).toBe(4) // the first attempt and three retries (schedule of 3)
    expect(forVerification('/fail', id)).toHaveLength(4)
    const detail = await delivery(failed.id)
    expect(detail.json().attemptLog).toHaveLength(4)
    expect(detail.json().lastError).toBe('HTTP 500')

    const dead = await t.app.inject({
      method: 'GET',
      url: '/admin/jobs?state=dead&type=webhook.deliver&limit=500',
      headers: admin,
    })
    expect(dead.statusCode).toBe(200)
    const job = (
      dead.json().data as { id: string; payload: { deliveryId: string }; attempts: number }[]
    ).find((j) => j.payload.deliveryId === failed.id)
    if (!job) throw new Error('dead job not listed')
    expect(job.attempts).toBe(4)
    expect(dead.json().counts.dead).toBeGreaterThan(0)
    const one = await t.app.inject({ method: 'GET', url: `/admin/jobs/${job.id}`, headers: admin })
    expect(one.json()).toMatchObject({ id: job.id, state: 'dead', lastError: 'HTTP 500' })

    const retried = await t.app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/retry`,
      headers: admin,
    })
    expect(retried.statusCode).toBe(202)
    expect(retried.json()).toMatchObject({ state: 'queued', attempts: 0 })
    await receiver.waitFor(() => forVerification('/fail', id).length >= 8)

    // The tenant's resend: same webhook-id, four more attempts.
    await eventually(async () =>
      (await delivery(failed.id)).json().status === 'failed' ? true : undefined,
    )
    const resend = await t.app.inject({
      method: 'POST',
      url: `/webhooks/deliveries/${failed.id}/retry`,
      headers: as(testKey),
    })
    expect(resend.statusCode).toBe(202)
    expect(resend.json()).toMatchObject({ id: failed.id, status: 'pending' })
    await receiver.waitFor(() => forVerification('/fail', id).length >= 9)
    const ids = new Set(forVerification('/fail', id).map((r) => r.headers['webhook-id']))
    expect([...ids]).toEqual([failed.id])
  })

  it('refuses to retry a job that is not dead, and unknown jobs; admin routes need the admin key', async () => {
    const done = await t.app.inject({
      method: 'GET',
      url: '/admin/jobs?state=done&limit=1',
      headers: admin,
    })
    const [job] = done.json().data as { id: string }[]
    if (!job) throw new Error('no done job yet')
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/retry`,
      headers: admin,
    })
    expect(res.statusCode).toBe(409)
    expect(errorCode(res)).toBe('JOB_NOT_DEAD')
    for (const url of ['/admin/jobs/job_doesNotExist123', '/admin/jobs/garbage']) {
      const missing = await t.app.inject({ method: 'GET', url, headers: admin })
      expect(missing.statusCode).toBe(404)
      expect(errorCode(missing)).toBe('JOB_NOT_FOUND')
    }
    const badState = await t.app.inject({
      method: 'GET',
      url: '/admin/jobs?state=zombie',
      headers: admin,
    })
    expect(badState.statusCode).toBe(400)
    for (const [method, url] of [
      ['GET', '/admin/jobs'],
      ['GET', `/admin/jobs/${job.id}`],
      ['POST', `/admin/jobs/${job.id}/retry`],
    ] as const) {
      for (const headers of [{}, { 'x-admin-key': 'wrong-admin-key-0000000' }, as(tenant.key)]) {
        const denied = await t.app.inject({ method, url, headers })
        expect(denied.statusCode).toBe(401)
        expect(errorCode(denied)).toBe('UNAUTHENTICATED_ADMIN')
      }
    }
  })

  it('refuses a resend while the delivery is still pending', async () => {
    const endpoint = await createEndpoint('/slow-pending', { events: ['verification.completed'] })
    expect(endpoint.id).toMatch(/^whe_/)
    const id = await verification()
    const pending = await eventually(async () => {
      const [d] = (await deliveriesOf(id, testKey, endpoint.id)).filter(
        (x) => x.status === 'pending',
      )
      return d
    })
    const res = await t.app.inject({
      method: 'POST',
      url: `/webhooks/deliveries/${pending.id}/retry`,
      headers: as(testKey),
    })
    expect(res.statusCode).toBe(409)
    expect(errorCode(res)).toBe('DELIVERY_PENDING')
  })

  it('gives up an attempt that times out', async () => {
    const endpoint = await createEndpoint('/slow', { events: ['verification.completed'] })
    const id = await verification()
    const [d] = await eventually(async () => {
      const list = (await deliveriesOf(id, testKey, endpoint.id)).filter((x) => x.attempts >= 1)
      return list.length > 0 ? list : undefined
    })
    const detail = await delivery(d?.id ?? '')
    expect(detail.json().attemptLog[0]).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/timed out/),
    })
  })

  it('disables an endpoint that answers 410 Gone and stops sending', async () => {
    const endpoint = await createEndpoint('/gone', { events: ['verification.completed'] })
    const id = await verification()
    const failed = await eventually(async () => {
      const [d] = (await deliveriesOf(id, testKey, endpoint.id)).filter(
        (x) => x.status === 'failed',
      )
      return d
    })
    expect(failed.attempts).toBe(1)
    expect(forVerification('/gone', id)).toHaveLength(1)
    const after = await t.app.inject({
      method: 'GET',
      url: `/webhooks/endpoints/${endpoint.id}`,
      headers: as(tenant.key),
    })
    expect(after.json()).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining('410'),
    })
    // A disabled endpoint gets no new deliveries.
    const next = await verification()
    await eventually(async () => {
      const list = await deliveriesOf(next)
      return list.every((d) => d.status !== 'pending') ? true : undefined
    })
    expect(forVerification('/gone', next)).toHaveLength(0)
    // Re-enabling clears the reason.
    const enabled = await t.app.inject({
      method: 'PATCH',
      url: `/webhooks/endpoints/${endpoint.id}`,
      headers: as(tenant.key),
      payload: { enabled: true },
    })
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null })
    await t.app.inject({
      method: 'DELETE',
      url: `/webhooks/endpoints/${endpoint.id}`,
      headers: as(tenant.key),
    })
  })

  it('filters the delivery log', async () => {
    const a = await createEndpoint('/filter-a', { events: ['verification.completed'] })
    const id = await verification()
    await receiver.waitFor(() => forVerification('/filter-a', id).length > 0)
    const byEndpoint = await t.app.inject({
      method: 'GET',
      url: `/webhooks/deliveries?endpointId=${a.id}`,
      headers: as(testKey),
    })
    expect(byEndpoint.json().data.length).toBeGreaterThan(0)
    expect(byEndpoint.json().data.every((d: { endpointId: string }) => d.endpointId === a.id)).toBe(
      true,
    )
    const delivered = await t.app.inject({
      method: 'GET',
      url: '/webhooks/deliveries?status=delivered&limit=2',
      headers: as(testKey),
    })
    expect(delivered.json().data.length).toBeLessThanOrEqual(2)
    expect(delivered.json().data.every((d: { status: string }) => d.status === 'delivered')).toBe(
      true,
    )
  })

  it("keeps tenants apart: another tenant's endpoints and deliveries are 404 and unlisted", async () => {
    const mine = await createEndpoint('/isolation', { events: ['verification.completed'] })
    const id = await verification()
    await receiver.waitFor(() => forVerification('/isolation', id).length > 0)
    const [d] = await deliveriesOf(id)
    if (!d) throw new Error('no delivery')
    for (const [method, url, payload] of [
      ['GET', `/webhooks/endpoints/${mine.id}`, undefined],
      ['PATCH', `/webhooks/endpoints/${mine.id}`, { enabled: false }],
      ['DELETE', `/webhooks/endpoints/${mine.id}`, undefined],
      ['POST', `/webhooks/endpoints/${mine.id}/rotate-secret`, undefined],
      ['GET', `/webhooks/deliveries/${d.id}`, undefined],
      ['POST', `/webhooks/deliveries/${d.id}/retry`, undefined],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: as(other.key),
        ...(payload && { payload }),
      })
      expect(res.statusCode, `${method} ${url}`).toBe(404)
    }
    const theirs = await t.app.inject({
      method: 'GET',
      url: '/webhooks/endpoints',
      headers: as(other.key),
    })
    expect(theirs.json().data).toEqual([])
    expect(await deliveriesOf(id, other.key)).toEqual([])
    const filtered = await t.app.inject({
      method: 'GET',
      url: `/webhooks/deliveries?endpointId=${mine.id}`,
      headers: as(other.key),
    })
    expect(filtered.json().data).toEqual([])
    // Still intact for its owner.
    const still = await t.app.inject({
      method: 'GET',
      url: `/webhooks/endpoints/${mine.id}`,
      headers: as(tenant.key),
    })
    expect(still.json().enabled).toBe(true)
  })
})

describe('the endpoint limit', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp('sqlite')
  })
  afterAll(async () => t.close())

  it('refuses a 21st endpoint with a 400', async () => {
    const tenant = await createTenant(t.app)
    const add = () =>
      t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': tenant.key },
        payload: { url: 'https://hooks.example.com/loom' },
      })
    for (let i = 0; i < 20; i++) expect((await add()).statusCode).toBe(201)
    const over = await add()
    expect(over.statusCode).toBe(400)
    expect(over.json().error.message).toMatch(/at most 20/)
  })
})

describe('webhook URLs without LOOM_ALLOW_PRIVATE_WEBHOOKS', () => {
  let t: TestApp
  let tenant: { key: string }
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { LOOM_ALLOW_PRIVATE_WEBHOOKS: 'false' } })
    tenant = await createTenant(t.app)
  })
  afterAll(async () => t.close())

  it('requires https and refuses private, loopback and metadata addresses', async () => {
    for (const url of [
      'http://example.com/hook',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[fd00:ec2::254]/hook',
      'https://100.64.1.1/hook',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': tenant.key },
        payload: { url },
      })
      expect(res.statusCode, url).toBe(400)
      expect(errorCode(res)).toBe('INVALID_REQUEST_BODY')
    }
    const ok = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': tenant.key },
      payload: { url: 'https://hooks.example.com/loom' },
    })
    expect(ok.statusCode).toBe(201)
  })
})

describe('a rotated-out secret after its grace period', () => {
  let t: TestApp
  let worker: RunningWorker
  let receiver: WebhookReceiver
  const clock = new TestClock()
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: FAST, clock })
    worker = startWorker(t.deps, { maintenance: false })
    receiver = await startWebhookReceiver()
  })
  afterAll(async () => {
    await worker.stop()
    await receiver.close()
    await t.close()
  })

  it('no longer signs: one signature, by the new secret', async () => {
    const tenant = await createTenant(t.app)
    const { key } = await createKey(t.app, tenant.id, 'test')
    const headers = { 'x-tenant-api-key': key }
    const created = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers,
      payload: { url: `${receiver.url}/grace`, events: ['verification.started'] },
    })
    const endpoint = created.json<{ id: string; secret: string }>()
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${endpoint.id}/rotate-secret`,
      headers,
    })
    const newSecret = rotated.json<{ secret: string }>().secret
    clock.advance(25 * 3_600_000)
    const read = await t.app.inject({
      method: 'GET',
      url: `/webhooks/endpoints/${endpoint.id}`,
      headers,
    })
    expect(read.json().previousSecretExpiresAt).toBeNull()
    await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: { mock_behavior: 'approve' },
    })
    await receiver.waitFor((r) => r.length > 0)
    const [message] = receiver.received
    if (!message) throw new Error('no message')
    expect(message.headers['webhook-signature']?.split(' ')).toHaveLength(1)
    // The message was stamped with Loom's (advanced) clock: verify as of that time.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(clock.now())
    expect(() => new Webhook(endpoint.secret).verify(message.body, message.headers)).toThrow(
      /signature/i,
    )
    expect(() => new Webhook(newSecret).verify(message.body, message.headers)).not.toThrow()
    vi.useRealTimers()
  })
})
