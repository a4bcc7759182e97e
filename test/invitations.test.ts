// Invitations of the applicant sessions API, sent by the worker to a real local SMTP server
// (smtp-server) and a real local HTTP server standing in for the SMS provider; what arrived is
// checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createKey,
  createTenant,
  dialects,
  eventually,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import type { TestApp, WebhookReceiver } from './helpers.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'
import { startSmtp, unQuote } from './smtp.ts'

interface SessionView {
  id: string
  session_url: string
  invitations: {
    id: string
    channel: string
    status: string
    attempts: number
    error: string | null
  }[]
}

const person = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: 'ada@example.com',
  phone: '+15192223333',
}

describe.each(dialects())('invitations on %s', (dialect) => {
  let t: TestApp
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let sms: WebhookReceiver
  let worker: RunningWorker
  let tenant: { id: string; key: string }
  // The provider refuses one number (echoing it, as real providers do) and fails once for another.
  const REFUSED = '+15192220000'
  const FLAKY = '+15192221111'
  beforeAll(async () => {
    smtp = await startSmtp()
    sms = await startWebhookReceiver(() => 200)
    t = await startTestApp(dialect, {
      env: {
        LOOM_SMTP_HOST: '127.0.0.1',
        LOOM_SMTP_PORT: String(smtp.port),
        LOOM_SMTP_USER: 'loom',
        LOOM_SMTP_PASSWORD: 'secret',
        LOOM_SMTP_FROM: 'Loom <verify@loom.test>',
        LOOM_SMS_PROVIDER: 'http',
        LOOM_SMS_URL: `${sms.url}/sms`,
        LOOM_SMS_AUTHORIZATION: 'Bearer sms-token',
        LOOM_SMS_FROM: '+15550001111',
        LOOM_INVITATION_MAX_ATTEMPTS: '3',
      },
    })
    tenant = await createTenant(t.app, { name: 'Acme <Bar> & Grill' })
    worker = startWorker(t.deps, { maintenance: false })
  })
  afterAll(async () => {
    await worker.stop()
    await t.close()
    await smtp.close()
    await sms.close()
  })

  const create = async (body: Record<string, unknown>, key = tenant.key) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { 'x-api-key': key },
      payload: body,
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json<SessionView>()
  }
  const read = async (id: string, key = tenant.key) =>
    (
      await t.app.inject({
        method: 'GET',
        url: `/v1/sessions/${id}`,
        headers: { 'x-api-key': key },
      })
    ).json<SessionView>()
  const settled = (id: string, key = tenant.key) =>
    eventually(async () => {
      const s = await read(id, key)
      return s.invitations.every((i) => i.status !== 'queued') ? s : undefined
    }, 30_000)

  it('emails and texts the session link to the applicant (live key: invitations on by default)', async () => {
    const session = await create({ ...person, redirect_url: 'https://shop.example/done' })
    expect(session.invitations.map((i) => [i.channel, i.status])).toEqual([
      ['email', 'queued'],
      ['sms', 'queued'],
    ])
    const done = await settled(session.id)
    expect(done.invitations.map((i) => [i.channel, i.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ])

    const mail = smtp.mails.find((m) => m.to.includes('ada@example.com'))!
    expect(mail.from).toBe('verify@loom.test')
    const text = unQuote(mail.raw)
    expect(text).toContain('Subject: Verify your identity for Acme <Bar> & Grill')
    expect(text).toContain('Content-Type: text/plain')
    expect(text).toContain('Content-Type: text/html')
    expect(text).toContain(session.session_url)
    // The tenant's name is escaped in the HTML part.
    expect(text).toContain('Acme &lt;Bar&gt; &amp; Grill')
    expect(text).toContain('Hello Ada,')

    const message = sms.at('/sms').find((r) => r.body.includes(person.phone))!
    expect(message.headers.authorization).toBe('Bearer sms-token')
    const body = JSON.parse(message.body) as { to: string; from: string; text: string }
    expect(body.to).toBe(person.phone)
    expect(body.from).toBe('+15550001111')
    expect(body.text).toContain(session.session_url)
  })

  it('sends nothing with a test key unless asked, and only what was asked', async () => {
    const test = (await createKey(t.app, tenant.id, 'test')).key
    const quiet = await create({ ...person, email: 'quiet@example.com' }, test)
    expect(quiet.invitations).toEqual([])
    const asked = await create(
      { ...person, email: 'asked@example.com', sendEmailInvite: true, send_phone_invite: false },
      test,
    )
    expect(asked.invitations.map((i) => i.channel)).toEqual(['email'])
    await settled(asked.id, test)
    expect(smtp.mails.some((m) => m.to.includes('asked@example.com'))).toBe(true)
    expect(smtp.mails.some((m) => m.to.includes('quiet@example.com'))).toBe(false)
  })

  it('uses the workflow’s texts', async () => {
    const wf = await t.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { 'x-api-key': tenant.key },
      payload: {
        name: 'Custom texts',
        invitation: {
          email_subject: 'Your check with {{tenant}}',
          email_body: 'Dear {{first_name}}, go to {{link}} before {{expires}}.',
          sms_body: 'Check: {{link}}',
        },
      },
    })
    expect(wf.statusCode).toBe(201)
    const session = await create({
      ...person,
      email: 'custom@example.com',
      phone: '+15192224444',
      workflow_id: wf.json<{ id: string }>().id,
    })
    await settled(session.id)
    const mail = unQuote(smtp.mails.find((m) => m.to.includes('custom@example.com'))!.raw)
    expect(mail).toContain('Subject: Your check with Acme <Bar> & Grill')
    expect(mail).toContain(`Dear Ada, go to ${session.session_url} before`)
    const text = sms.at('/sms').find((r) => r.body.includes('+15192224444'))!
    expect((JSON.parse(text.body) as { text: string }).text).toBe(`Check: ${session.session_url}`)
  })

  it('retries a provider failure, and records a refusal without the recipient’s number', async () => {
    await sms.close()
    let flakyCalls = 0
    sms = await startWebhookReceiver(() => 200)
    // A receiver that fails once for FLAKY and refuses REFUSED, echoing the number.
    const http = await import('node:http')
    const provider = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        if (body.includes(REFUSED)) {
          res.writeHead(400).end(`{"error":"${REFUSED} is not a mobile number"}`)
        } else if (body.includes(FLAKY) && flakyCalls++ === 0) {
          res.writeHead(503).end('busy')
        } else res.writeHead(200).end('{}')
      })
    })
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
    const port = (provider.address() as { port: number }).port
    const original = t.deps.config.sms!
    t.deps.config.sms = { ...original, url: `http://127.0.0.1:${port}/sms` }
    try {
      const refused = await create({ ...person, phone: REFUSED, send_email_invite: false })
      const flaky = await create({ ...person, phone: FLAKY, send_email_invite: false })
      const r = (await settled(refused.id)).invitations[0]!
      expect(r.status).toBe('failed')
      expect(r.attempts).toBe(1)
      expect(r.error).toContain('SMS provider answered 400')
      expect(r.error).toContain('<recipient>')
      expect(r.error).not.toContain(REFUSED)
      const f = (await settled(flaky.id)).invitations[0]!
      expect(f.status).toBe('sent')
      expect(f.attempts).toBe(2)
    } finally {
      t.deps.config.sms = original
      provider.closeAllConnections()
      await new Promise<void>((resolve) => provider.close(() => resolve()))
    }
  })

  it('says at once when a channel is not configured (no job is queued)', async () => {
    const original = t.deps.config.smtp
    t.deps.config.smtp = null
    try {
      const session = await create({ ...person, send_phone_invite: false })
      expect(session.invitations).toMatchObject([
        { channel: 'email', status: 'failed', attempts: 0 },
      ])
      expect(session.invitations[0]!.error).toContain('email is not configured')
      const jobs = await t.deps.store.db
        .selectFrom('jobs')
        .select('payload')
        .where('type', '=', 'invitation.send')
        .execute()
      expect(jobs.some((j) => j.payload.includes(session.invitations[0]!.id))).toBe(false)
    } finally {
      t.deps.config.smtp = original
    }
  })
})

describe('Twilio-compatible SMS', () => {
  it('posts the form Twilio expects with basic auth', async () => {
    const provider = await startWebhookReceiver(() => 201)
    const t = await startTestApp('sqlite', {
      env: {
        LOOM_SMS_PROVIDER: 'twilio',
        LOOM_TWILIO_ACCOUNT_SID: 'AC123',
        LOOM_TWILIO_AUTH_TOKEN: 'tok',
        LOOM_SMS_FROM: '+15550002222',
        LOOM_SMS_URL: `${provider.url}/2010-04-01/Accounts/AC123/Messages.json`,
      },
    })
    const worker = startWorker(t.deps, { maintenance: false })
    try {
      const tenant = await createTenant(t.app)
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'x-api-key': tenant.key },
        payload: { ...person, send_email_invite: false },
      })
      const session = res.json<SessionView>()
      await provider.waitFor((r) => r.length > 0, 30_000)
      const request = provider.received[0]!
      expect(request.path).toBe('/2010-04-01/Accounts/AC123/Messages.json')
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(request.headers.authorization).toBe(
        `Basic ${Buffer.from('AC123:tok').toString('base64')}`,
      )
      const form = new URLSearchParams(request.body)
      expect(form.get('To')).toBe(person.phone)
      expect(form.get('From')).toBe('+15550002222')
      expect(form.get('Body')).toContain(session.session_url)
    } finally {
      await worker.stop()
      await t.close()
      await provider.close()
    }
  })
})
