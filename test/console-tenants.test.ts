// Tenant isolation on every console route: signed in as tenant A, each route (GET and POST,
// walked from the console's own route list) is tried with tenant B's ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { dialects, startTestApp, startWebhookReceiver } from './helpers.ts'
import { newId } from '../src/domain/ids.ts'
import { insertImage } from '../src/store/images.ts'
import { insertDeliveries } from '../src/store/webhooks.ts'
import { CONSOLE_ROUTES } from '../src/console/route-list.ts'
import type { ConsoleRoute } from '../src/console/route-list.ts'
import type { TestApp } from './helpers.ts'
import { PASSWORD, post, seedTenants, signIn } from './console-session.ts'

describe.each(dialects())('console tenant isolation on %s', (dialect) => {
  let t: TestApp
  let app: FastifyInstance
  let a: Awaited<ReturnType<typeof seedTenants>>['a']
  let b: Awaited<ReturnType<typeof seedTenants>>['b']

  beforeAll(async () => {
    t = await startTestApp(dialect)
    app = t.app
    ;({ a, b } = await seedTenants(t))
  }, 60_000)
  afterAll(async () => t?.close())

  it('reaches nothing of another tenant on any console route, GET and POST, with its ids', async () => {
    // Tenant B's things: an endpoint with a real receiver, a delivered delivery, an image.
    const receiver = await startWebhookReceiver()
    try {
      const endpoint = await app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': b.testKey },
        payload: { url: `${receiver.url}/tenant-b` },
      })
      expect(endpoint.statusCode, endpoint.body).toBe(201)
      const endpointId = endpoint.json<{ id: string }>().id
      const now = new Date().toISOString()
      const [delivery] = await insertDeliveries(
        t.deps.store.db,
        b.id,
        [
          {
            eventId: newId('evt'),
            eventType: 'verification.completed',
            verificationId: b.verificationId,
            endpointId,
            url: `${receiver.url}/tenant-b`,
          },
        ],
        now,
      )
      await t.deps.store.db
        .updateTable('webhookDeliveries')
        .set({ status: 'delivered', attempts: 1, lastStatusCode: 200 })
        .where('id', '=', delivery!.id)
        .execute()
      const imageId = newId('img')
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
      await t.deps.blobs.put(`image-${imageId}`, jpeg)
      await insertImage(t.deps.store.db, {
        id: imageId,
        tenantId: b.id,
        verificationId: b.verificationId,
        kind: 'document_front',
        contentType: 'image/jpeg',
        byteSize: jpeg.length,
        width: null,
        height: null,
        blobKey: `image-${imageId}`,
        feedback: '',
        readOk: 0,
        readDocumentType: null,
        readSealed: null,
        createdAt: now,
        purgedAt: null,
      })
      // B's own owner reaches the image: the refusals below are about the tenant, not the id.
      const bOwner = await signIn(app, { email: b.owner, password: PASSWORD })
      const own = await app.inject({
        method: 'GET',
        url: `/console/verifications/${b.verificationId}/images/${imageId}`,
        headers: { cookie: bOwner.cookie },
      })
      expect(own.statusCode).toBe(200)

      const workflow = await app.inject({
        method: 'POST',
        url: '/v1/workflows',
        headers: { 'x-api-key': b.testKey },
        payload: { name: 'tenant-b-workflow', verification_type: 'age_only' },
      })
      expect(workflow.statusCode, workflow.body).toBe(201)
      const workflowId = workflow.json<{ id: string }>().id
      const theirs = [
        b.id,
        b.owner,
        b.verificationId,
        b.keyId,
        endpointId,
        delivery!.id,
        imageId,
        workflowId,
      ]
      const ok = [200]
      interface Case {
        url: string
        fields?: Record<string, string>
        expect: number[]
        /** Runs with a session of its own (the sign-outs end theirs). */
        fresh?: boolean
      }
      // Keyed by every route, so a route added without a case here does not compile.
      const cases: Record<ConsoleRoute, Case> = {
        'GET /console': { url: '/console', expect: [303] },
        'GET /console/static/console.css': { url: '/console/static/console.css', expect: ok },
        'GET /console/sign-in': { url: '/console/sign-in', expect: ok },
        'POST /console/sign-in': {
          url: '/console/sign-in',
          fields: { email: b.owner, password: PASSWORD },
          expect: [403],
        },
        'POST /console/operator/sign-in': { url: '/console/operator/sign-in', expect: [403] },
        'POST /console/sign-out': { url: '/console/sign-out', expect: [303], fresh: true },
        'POST /console/sign-out-everywhere': {
          url: '/console/sign-out-everywhere',
          expect: [303],
          fresh: true,
        },
        // The invitation token is itself the credential (no session needed); an unknown one is a 404.
        'GET /console/invite/:token': { url: '/console/invite/not-a-token', expect: [404] },
        'POST /console/invite/:token': {
          url: '/console/invite/not-a-token',
          fields: { password: PASSWORD },
          expect: [404],
        },
        'GET /console/verifications': {
          url: `/console/verifications?externalId=order-42`,
          expect: ok,
        },
        'GET /console/review': { url: '/console/review', expect: ok },
        'GET /console/verifications/:id': {
          url: `/console/verifications/${b.verificationId}`,
          expect: [404],
        },
        'POST /console/verifications/:id/decision': {
          url: `/console/verifications/${b.verificationId}/decision`,
          fields: { status: 'approved', reason: 'manual_check_passed' },
          expect: [404],
        },
        'GET /console/verifications/:id/images/:imageId': {
          url: `/console/verifications/${b.verificationId}/images/${imageId}`,
          expect: [404],
        },
        'GET /console/usage': { url: '/console/usage', expect: ok },
        'GET /console/workflows': { url: '/console/workflows', expect: ok },
        'GET /console/workflows/new': { url: '/console/workflows/new', expect: ok },
        'POST /console/workflows/new': { url: '/console/workflows/new', fields: {}, expect: [400] },
        'GET /console/workflows/:id': { url: `/console/workflows/${workflowId}`, expect: [404] },
        'POST /console/workflows/:id': {
          url: `/console/workflows/${workflowId}`,
          fields: {
            name: 'taken over',
            verification_type: 'age_only',
            min_age: '18',
            age_buffer: '12',
            max_attempts: '3',
          },
          expect: [404],
        },
        'POST /console/workflows/:id/delete': {
          url: `/console/workflows/${workflowId}/delete`,
          expect: [404],
        },
        'GET /console/branding': { url: '/console/branding', expect: ok },
        'POST /console/branding': {
          url: '/console/branding',
          fields: { colour: '#123456', action: 'preview' },
          expect: ok,
        },
        'POST /console/branding/logo': {
          url: '/console/branding/logo',
          fields: { action: 'remove' },
          expect: ok,
        },
        'GET /console/keys': { url: '/console/keys', expect: ok },
        'POST /console/keys': { url: '/console/keys', fields: { mode: 'test' }, expect: [201] },
        'POST /console/keys/:id/roll': { url: `/console/keys/${b.keyId}/roll`, expect: [404] },
        'GET /console/keys/:id/revoke': { url: `/console/keys/${b.keyId}/revoke`, expect: [404] },
        'POST /console/keys/:id/revoke': { url: `/console/keys/${b.keyId}/revoke`, expect: [404] },
        'GET /console/webhooks': { url: '/console/webhooks', expect: ok },
        'GET /console/webhooks/:id': { url: `/console/webhooks/${endpointId}`, expect: [404] },
        'POST /console/webhooks/:id/test': {
          url: `/console/webhooks/${endpointId}/test`,
          expect: [404],
        },
        'POST /console/webhooks/deliveries/:id/resend': {
          url: `/console/webhooks/deliveries/${delivery!.id}/resend`,
          fields: { mode: 'test' },
          expect: [404],
        },
        'GET /console/users': { url: '/console/users', expect: ok },
        'POST /console/users': { url: '/console/users', fields: {}, expect: [400] },
        'GET /console/account': { url: '/console/account', expect: ok },
        'POST /console/account/totp': {
          url: '/console/account/totp',
          fields: { secret: 'x', code: '1' },
          expect: [400],
        },
        'GET /console/operator/tenants': { url: '/console/operator/tenants', expect: [303] },
        'GET /console/operator/logs': { url: '/console/operator/logs', expect: [303] },
      }
      // The list holds only registered routes (the console refuses to start with one missing).
      for (const route of CONSOLE_ROUTES) {
        const [method, url] = route.split(' ') as ['GET' | 'POST', string]
        expect(app.hasRoute({ method, url }), route).toBe(true)
      }
      const owner = await signIn(app, { email: a.owner, password: PASSWORD })
      // A's own verification with B's image is refused too.
      const mixed = await app.inject({
        method: 'GET',
        url: `/console/verifications/${a.verificationId}/images/${imageId}`,
        headers: { cookie: owner.cookie },
      })
      expect(mixed.statusCode).toBe(404)
      const order = [...CONSOLE_ROUTES].sort(
        (x, y) => Number(cases[x].fresh ?? false) - Number(cases[y].fresh ?? false),
      )
      for (const route of order) {
        const c = cases[route]
        const s = c.fresh ? await signIn(app, { email: a.owner, password: PASSWORD }) : owner
        const res = route.startsWith('GET ')
          ? await app.inject({ method: 'GET', url: c.url, headers: { cookie: s.cookie } })
          : await post(app, s, c.url, c.fields ?? {})
        expect(c.expect, `${route} answered ${res.statusCode}`).toContain(res.statusCode)
        // The page's own address (in its language links) may echo the id asked for; nothing else.
        const shown = res.body.split(c.url.split('?')[0]!).join('')
        for (const id of theirs) expect(shown, `${route} shows ${id}`).not.toContain(id)
      }
      // B's things are untouched: its key works, its delivery was not queued again, its
      // receiver got nothing, its verification still waits.
      const keyStill = await app.inject({
        method: 'GET',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': b.testKey },
      })
      expect(keyStill.statusCode).toBe(200)
      const row = await t.deps.store.db
        .selectFrom('webhookDeliveries')
        .select(['status', 'attempts'])
        .where('id', '=', delivery!.id)
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ status: 'delivered', attempts: 1 })
      expect(receiver.received).toHaveLength(0)
      const still = await app.inject({
        method: 'GET',
        url: `/verify/status?verificationId=${b.verificationId}`,
        headers: { 'x-tenant-api-key': b.testKey },
      })
      expect(still.json<{ status: string }>().status).toBe('review')
      const theirWorkflow = await app.inject({
        method: 'GET',
        url: `/v1/workflows/${workflowId}`,
        headers: { 'x-api-key': b.testKey },
      })
      expect(theirWorkflow.json<{ name: string }>().name).toBe('tenant-b-workflow')
    } finally {
      await receiver.close()
    }
  })
})
