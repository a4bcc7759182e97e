// The console's API keys and webhook pages over HTTP: keys created, rolled and revoked (checked
// against the native API), read-only roles, and an endpoint's log, test event and resend against
// a real local receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { admin, dialects, eventually, startTestApp, startWebhookReceiver } from './helpers.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { TestApp } from './helpers.ts'
import { PASSWORD, post, reviewVerification, seedTenants, signIn } from './console-session.ts'

describe.each(dialects())('console developer pages on %s', (dialect) => {
  let t: TestApp
  let app: FastifyInstance
  let a: Awaited<ReturnType<typeof seedTenants>>['a']

  beforeAll(async () => {
    t = await startTestApp(dialect)
    app = t.app
    ;({ a } = await seedTenants(t))
  }, 60_000)
  afterAll(async () => t?.close())

  it('creates, rolls and revokes API keys: each secret shown once, and the native API agrees', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const native = (key: string) =>
      app.inject({
        method: 'GET',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': key },
      })
    const keyIdOf = async (secret: string) => {
      const res = await app.inject({
        method: 'GET',
        url: `/admin/tenants/${a.id}/keys`,
        headers: admin,
      })
      const found = res
        .json<{ id: string; prefix: string }[]>()
        .find((k) => k.prefix === secret.slice(0, 14))
      expect(found).toBeDefined()
      return found!.id
    }
    const created = await post(app, developer, '/console/keys', { mode: 'test', name: 'checkout' })
    expect(created.statusCode, created.body).toBe(201)
    const secret = /loom_test_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] ?? ''
    expect(secret).not.toBe('')
    expect((await native(secret)).statusCode).toBe(200)
    const live = await post(app, developer, '/console/keys', { mode: 'live' })
    expect(live.statusCode).toBe(201)
    expect(live.body).toMatch(/loom_live_[A-Za-z0-9_-]{43}/)
    // Shown once: the list never shows it again, only its prefix.
    const list = await app.inject({
      method: 'GET',
      url: '/console/keys',
      headers: { cookie: developer.cookie },
    })
    expect(list.body).toContain(secret.slice(0, 14))
    expect(list.body).not.toContain(secret)
    expect((await post(app, developer, '/console/keys', { mode: 'gold' })).statusCode).toBe(400)

    const id = await keyIdOf(secret)
    const rolled = await post(app, developer, `/console/keys/${id}/roll`, {})
    expect(rolled.statusCode, rolled.body).toBe(201)
    const next = /loom_test_[A-Za-z0-9_-]{43}/.exec(rolled.body)?.[0] ?? ''
    expect(next).not.toBe('')
    expect(next).not.toBe(secret)
    expect((await native(secret)).statusCode).toBe(401)
    expect((await native(next)).statusCode).toBe(200)
    expect((await post(app, developer, `/console/keys/${id}/roll`, {})).statusCode).toBe(404)

    const nextId = await keyIdOf(next)
    const confirm = await app.inject({
      method: 'GET',
      url: `/console/keys/${nextId}/revoke`,
      headers: { cookie: developer.cookie },
    })
    expect(confirm.statusCode).toBe(200)
    expect(confirm.body).toContain(`action="/console/keys/${nextId}/revoke"`)
    const revoked = await post(app, developer, `/console/keys/${nextId}/revoke`, {})
    expect(revoked.statusCode).toBe(303)
    expect((await native(next)).statusCode).toBe(401)
    expect((await post(app, developer, `/console/keys/${nextId}/revoke`, {})).statusCode).toBe(404)
  })

  it('shows reviewers and viewers the keys without forms, and refuses their key forms with a 403', async () => {
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const created = await post(app, owner, '/console/keys', { mode: 'test', name: 'kept' })
    const secret = /loom_test_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] ?? ''
    const keys = await app.inject({
      method: 'GET',
      url: `/admin/tenants/${a.id}/keys`,
      headers: admin,
    })
    const id = keys
      .json<{ id: string; prefix: string }[]>()
      .find((k) => k.prefix === secret.slice(0, 14))!.id
    for (const email of [a.reviewer, a.viewer]) {
      const s = await signIn(app, { email, password: PASSWORD })
      const page = await app.inject({
        method: 'GET',
        url: '/console/keys',
        headers: { cookie: s.cookie },
      })
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain(secret.slice(0, 14))
      expect(page.body).not.toContain('action="/console/keys')
      expect((await post(app, s, '/console/keys', { mode: 'live' })).statusCode).toBe(403)
      expect((await post(app, s, `/console/keys/${id}/roll`, {})).statusCode).toBe(403)
      expect((await post(app, s, `/console/keys/${id}/revoke`, {})).statusCode).toBe(403)
      const confirm = await app.inject({
        method: 'GET',
        url: `/console/keys/${id}/revoke`,
        headers: { cookie: s.cookie },
      })
      expect(confirm.statusCode).toBe(403)
    }
    const still = await app.inject({
      method: 'GET',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': secret },
    })
    expect(still.statusCode).toBe(200)
  })

  it('previews a brand colour without saving it, saves it, and goes back to the default', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const brandOf = async () => {
      const res = await app.inject({ method: 'GET', url: `/admin/tenants/${a.id}`, headers: admin })
      return res.json<{ brandColor: string | null }>().brandColor
    }
    const before = await brandOf()
    const preview = await post(app, developer, '/console/branding', {
      colour: '#AA3300',
      action: 'preview',
    })
    expect(preview.statusCode).toBe(200)
    expect(preview.body).toContain('/page/theme.css?brand=aa3300')
    expect(preview.body).toContain('Preview with #aa3300 (not saved)')
    expect(await brandOf()).toBe(before)

    const saved = await post(app, developer, '/console/branding', {
      colour: '#aa3300',
      action: 'save',
    })
    expect(saved.statusCode).toBe(200)
    expect(saved.body).toContain('The brand colour is saved')
    expect(await brandOf()).toBe('#aa3300')
    const page = await app.inject({
      method: 'GET',
      url: '/console/branding',
      headers: { cookie: developer.cookie },
    })
    expect(page.body).toContain('value="#aa3300"')

    for (const colour of ['red', '#12345', '#12345g', '']) {
      const bad = await post(app, developer, '/console/branding', { colour, action: 'save' })
      expect(bad.statusCode, colour).toBe(400)
    }
    expect(await brandOf()).toBe('#aa3300')

    const viewer = await signIn(app, { email: a.viewer, password: PASSWORD })
    const refused = await post(app, viewer, '/console/branding', {
      colour: '#000000',
      action: 'save',
    })
    expect(refused.statusCode).toBe(403)
    const forged = await post(app, { ...developer, csrf: 'forged' }, '/console/branding', {
      colour: '#000000',
      action: 'save',
    })
    expect(forged.statusCode).toBe(403)
    expect(await brandOf()).toBe('#aa3300')

    const cleared = await post(app, developer, '/console/branding', { action: 'clear' })
    expect(cleared.statusCode).toBe(200)
    expect(await brandOf()).toBeNull()
  })

  it('shows an endpoint’s delivery log, sends a test event and resends a delivery to a real receiver', async () => {
    const receiver = await startWebhookReceiver()
    const worker = startWorker(t.deps, { maintenance: false })
    try {
      const endpoint = await app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': a.testKey },
        payload: { url: `${receiver.url}/console-hooks` },
      })
      expect(endpoint.statusCode, endpoint.body).toBe(201)
      const endpointId = endpoint.json<{ id: string }>().id
      const verificationId = await reviewVerification(app, a.testKey)
      const first = await eventually(async () =>
        receiver
          .at('/console-hooks')
          .find(
            (r) => r.body.includes(verificationId) && r.body.includes('"verification.completed"'),
          ),
      )
      const developer = await signIn(app, { email: a.developer, password: PASSWORD })
      const pageOf = () =>
        app.inject({
          method: 'GET',
          url: `/console/webhooks/${endpointId}`,
          headers: { cookie: developer.cookie },
        })
      const delivered = await eventually(async () => {
        const page = await pageOf()
        return /<td>delivered<\/td>/.test(page.body) ? page : undefined
      })
      expect(delivered.statusCode).toBe(200)
      expect(delivered.body).toContain('verification.completed')
      expect(delivered.body).toContain(verificationId)
      expect(delivered.body).toContain('<td>200</td>')
      // Status, attempts and codes only: nothing of the payload (the external id is in it).
      expect(delivered.body).not.toContain('order-42')
      const deliveryIds = [
        ...delivered.body.matchAll(/webhooks\/deliveries\/(del_[A-Za-z0-9_-]+)\/resend/g),
      ]
      expect(deliveryIds.length).toBeGreaterThan(0)
      const rows = await t.deps.store.db
        .selectFrom('webhookDeliveries')
        .select(['id', 'eventType'])
        .where('endpointId', '=', endpointId)
        .where('verificationId', '=', verificationId)
        .execute()
      const completed = rows.find((r) => r.eventType === 'verification.completed')!

      const before = receiver.at('/console-hooks').length
      const resent = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {
          mode: 'test',
        },
      )
      expect(resent.statusCode, resent.body).toBe(303)
      expect(resent.headers.location).toBe(`/console/webhooks/${endpointId}?resent=1`)
      const again = await eventually(async () =>
        receiver
          .at('/console-hooks')
          .slice(before)
          .find((r) => r.headers['webhook-id'] === first.headers['webhook-id']),
      )
      expect(again.body).toContain(verificationId)
      const wrongMode = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {
          mode: 'live',
        },
      )
      expect(wrongMode.statusCode).toBe(404)
      const noMode = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {},
      )
      expect(noMode.statusCode).toBe(400)

      const tested = await post(app, developer, `/console/webhooks/${endpointId}/test`, {
        type: 'verification.expired',
      })
      expect(tested.statusCode, tested.body).toBe(200)
      expect(tested.body).toContain('The receiver accepted the test event.')
      const example = await eventually(async () =>
        receiver.at('/console-hooks').find((r) => r.body.includes('"verification.expired"')),
      )
      expect(JSON.parse(example.body)).toMatchObject({ mode: 'test', data: { test: true } })
      expect(
        (await post(app, developer, `/console/webhooks/${endpointId}/test`, { type: 'bogus' }))
          .statusCode,
      ).toBe(400)

      const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
      expect(
        (await post(app, reviewer, `/console/webhooks/${endpointId}/test`, {})).statusCode,
      ).toBe(403)
      expect(
        (
          await post(app, reviewer, `/console/webhooks/deliveries/${completed.id}/resend`, {
            mode: 'test',
          })
        ).statusCode,
      ).toBe(403)
    } finally {
      await worker.stop()
      await receiver.close()
    }
  })

  it('creates, edits, makes default and deletes a workflow; the sessions API sees each change', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const api = (url: string) =>
      app.inject({ method: 'GET', url, headers: { 'x-api-key': a.testKey } })
    const form = {
      name: 'Bar entry',
      verification_type: 'age_only',
      min_age: '21',
      age_buffer: '10',
      doc_passport: 'on',
      doc_drivers_license: 'on',
      countries: 'gbr, D  FRA',
      time_to_live: '30d',
      max_attempts: '2',
      retry_document_unreadable: 'on',
    }
    const created = await post(app, developer, '/console/workflows/new', form)
    expect(created.statusCode, created.body).toBe(201)
    expect(created.body).toContain('Bar entry')
    const id = /href="\/console\/workflows\/(wf_[A-Za-z0-9_-]+)"/.exec(created.body)?.[1]
    expect(id).toBeDefined()
    const read = (await api(`/v1/workflows/${id}`)).json<Record<string, unknown>>()
    expect(read).toMatchObject({
      name: 'Bar entry',
      verification_type: 'age_only',
      min_age: 21,
      age_buffer: 10,
      accepted_document_types: ['passport', 'drivers_license'],
      accepted_countries: ['GBR', 'D', 'FRA'],
      require_selfie: false,
      time_to_live: '30d',
      retry_policy: { max_attempts: 2, retry_on: ['document_unreadable'] },
      is_default: false,
    })
    // The edit page shows what is stored; a wrong field is named and nothing changes.
    const page = await app.inject({
      method: 'GET',
      url: `/console/workflows/${id}`,
      headers: { cookie: developer.cookie },
    })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('value="GBR D FRA"')
    expect(page.body).toMatch(/name="doc_passport" checked/)
    for (const [field, value] of [
      ['min_age', '12'],
      ['countries', 'GBR XX1'],
      ['time_to_live', 'forever'],
      ['max_attempts', '0'],
      ['verification_type', 'anything'],
      ['name', '   '],
    ] as const) {
      const bad = await post(app, developer, `/console/workflows/${id}`, {
        ...form,
        [field]: value,
      })
      expect(bad.statusCode, field).toBe(400)
      expect(bad.body, field).toContain('role="alert"')
    }
    expect((await api(`/v1/workflows/${id}`)).json<{ min_age: number }>().min_age).toBe(21)
    const saved = await post(app, developer, `/console/workflows/${id}`, {
      name: 'Bar entry (full)',
      verification_type: 'full_verification',
      min_age: '18',
      age_buffer: '12',
      countries: '',
      time_to_live: '',
      max_attempts: '3',
      retry_face_mismatch: 'on',
      is_default: 'on',
    })
    expect(saved.statusCode, saved.body).toBe(200)
    expect((await api(`/v1/workflows/${id}`)).json()).toMatchObject({
      name: 'Bar entry (full)',
      verification_type: 'full_verification',
      accepted_document_types: null,
      accepted_countries: null,
      require_selfie: true,
      time_to_live: null,
      retry_policy: { max_attempts: 3, retry_on: ['face_mismatch'] },
      is_default: true,
    })
    // Reviewers do not configure workflows.
    const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
    const refused = await post(app, reviewer, `/console/workflows/${id}/delete`, {})
    expect(refused.statusCode).toBe(403)
    const deleted = await post(app, developer, `/console/workflows/${id}/delete`, {})
    expect(deleted.statusCode).toBe(200)
    expect(deleted.body).toContain('deleted')
    expect((await api(`/v1/workflows/${id}`)).statusCode).toBe(404)
    const gone = await post(app, developer, `/console/workflows/${id}/delete`, {})
    expect(gone.statusCode).toBe(404)
  })
})
