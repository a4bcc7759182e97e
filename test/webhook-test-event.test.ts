// POST /webhooks/endpoints/:id/test: an example event sent now to a real local receiver, signed
// like every delivery, on each store.
import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTenant,
  dialects,
  errorCode,
  expectTenantAuthRequired,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { TestApp, WebhookReceiver } from './helpers.ts'

interface TestReply {
  delivered: boolean
  url: string
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
  event: { id: string; type: string; mode: string; verificationId: string; data: { test: boolean } }
}

describe.each(dialects())('the webhook test event on %s', (dialect) => {
  let t: TestApp
  let receiver: WebhookReceiver
  let tenant: { id: string; key: string }
  let other: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect, { env: { LOOM_WEBHOOK_TIMEOUT_MS: '5000' } })
    receiver = await startWebhookReceiver((path) => (path.startsWith('/broken') ? 500 : 200))
    tenant = await createTenant(t.app)
    other = await createTenant(t.app)
  })
  afterAll(async () => {
    await receiver.close()
    await t.close()
  })

  const as = (key: string) => ({ 'x-tenant-api-key': key })

  async function createEndpoint(path: string, key = tenant.key) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers: as(key),
      payload: { url: `${receiver.url}${path}` },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json<{ id: string; secret: string }>()
  }

  async function sendTest(endpointId: string, key = tenant.key, payload?: unknown) {
    return t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${endpointId}/test`,
      headers: as(key),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    })
  }

  it('delivers a signed example event to the endpoint and says how it answered', async () => {
    const endpoint = await createEndpoint('/hello')
    const res = await sendTest(endpoint.id)
    expect(res.statusCode, res.body).toBe(200)
    const reply = res.json<TestReply>()
    expect(reply).toMatchObject({
      delivered: true,
      url: `${receiver.url}/hello`,
      statusCode: 200,
      error: null,
    })
    expect(reply.responseExcerpt).toMatch(/^answer 200/)
    expect(Buffer.byteLength(reply.responseExcerpt ?? '')).toBeLessThanOrEqual(1024)
    expect(reply.event).toMatchObject({
      type: 'verification.completed',
      mode: 'test',
      data: { test: true },
    })

    // The receiver got it at once (sent inline, no worker here), exactly the event the reply shows.
    const got = receiver.at('/hello')
    expect(got).toHaveLength(1)
    const message = got[0]!
    expect(JSON.parse(message.body)).toEqual(reply.event)
    const verified = new Webhook(endpoint.secret).verify(message.body, message.headers)
    expect(verified).toEqual(reply.event)
    expect(message.headers['webhook-id']).toMatch(/^del_/)
    expect(message.headers['x-webhook-event']).toBe('verification.completed')
    expect(message.headers['x-webhook-signature']).toBe(
      createHmac('sha256', endpoint.secret).update(message.body).digest('hex'),
    )
    // Signed with this endpoint's secret, not any other.
    const another = await createEndpoint('/another')
    expect(() => new Webhook(another.secret).verify(message.body, message.headers)).toThrow()
  })

  it('sends the event type asked for, and refuses one that does not exist', async () => {
    const endpoint = await createEndpoint('/typed')
    const res = await sendTest(endpoint.id, tenant.key, { type: 'verification.started' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json<TestReply>().event.type).toBe('verification.started')
    const [message] = receiver.at('/typed')
    expect(message?.headers['x-webhook-event']).toBe('verification.started')
    expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ type: 'verification.started' })

    const bad = await sendTest(endpoint.id, tenant.key, { type: 'payment.succeeded' })
    expect(bad.statusCode).toBe(400)
    const extra = await sendTest(endpoint.id, tenant.key, { type: 'verification.started', x: 1 })
    expect(extra.statusCode).toBe(400)
    expect(receiver.at('/typed')).toHaveLength(1)
  })

  it('reports a failing receiver as not delivered, sends once, and keeps it out of the delivery log', async () => {
    const endpoint = await createEndpoint('/broken')
    const res = await sendTest(endpoint.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json<TestReply>()).toMatchObject({ delivered: false, statusCode: 500 })
    const log = await t.app.inject({
      method: 'GET',
      url: `/webhooks/deliveries?endpointId=${endpoint.id}`,
      headers: as(tenant.key),
    })
    expect(log.statusCode).toBe(200)
    expect(log.json<{ data: unknown[] }>().data).toEqual([])
    expect(receiver.at('/broken')).toHaveLength(1)
  })

  it('sends to a disabled endpoint, so a fix can be checked before enabling it again', async () => {
    const endpoint = await createEndpoint('/disabled')
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/webhooks/endpoints/${endpoint.id}`,
      headers: as(tenant.key),
      payload: { enabled: false },
    })
    expect(patched.statusCode).toBe(200)
    const res = await sendTest(endpoint.id)
    expect(res.json<TestReply>().delivered).toBe(true)
    expect(receiver.at('/disabled')).toHaveLength(1)
  })

  it("is a 404 for another tenant's endpoint and for ids that do not exist, and sends nothing", async () => {
    const theirs = await createEndpoint('/theirs', other.key)
    for (const id of [theirs.id, 'whe_000000000000000000000000', 'not-an-id']) {
      const res = await sendTest(id, tenant.key)
      expect(res.statusCode, id).toBe(404)
      expect(errorCode(res), id).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
    }
    expect(receiver.at('/theirs')).toHaveLength(0)
    // The owner can still test it.
    expect((await sendTest(theirs.id, other.key)).json<TestReply>().delivered).toBe(true)
    expect(receiver.at('/theirs')).toHaveLength(1)
  })

  it('needs a tenant key', async () => {
    const endpoint = await createEndpoint('/auth')
    await expectTenantAuthRequired(t.app, [
      { method: 'POST', url: `/webhooks/endpoints/${endpoint.id}/test` },
    ])
    expect(receiver.at('/auth')).toHaveLength(0)
  })
})
