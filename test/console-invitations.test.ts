// Console invitations by email, on SQLite and PostgreSQL, through a real local SMTP server: the
// invitee gets the link by email (the owner's page does not show it), the link sets a password
// once, and when the email cannot be sent the owner gets the link to pass on instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, dialects, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { PASSWORD, createUser, post, signIn } from './console-session.ts'
import { startSmtp, unQuote } from './smtp.ts'

const INVITE_LINK = /https:\/\/loom\.test(\/console\/invite\/[A-Za-z0-9_-]+)/

describe.each(dialects())('console invitations by email on %s', (dialect) => {
  let t: TestApp
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let owner: Awaited<ReturnType<typeof signIn>>
  const logLines: string[] = []

  beforeAll(async () => {
    smtp = await startSmtp()
    t = await startTestApp(dialect, {
      logLines,
      env: {
        LOOM_SMTP_HOST: '127.0.0.1',
        LOOM_SMTP_PORT: String(smtp.port),
        LOOM_SMTP_USER: 'loom',
        LOOM_SMTP_PASSWORD: 'secret',
        LOOM_SMTP_FROM: 'Loom <console@loom.test>',
      },
    })
    const tenant = await createTenant(t.app, { name: 'Acme Shop' })
    const email = await createUser(t.app, tenant.id, 'owner')
    owner = await signIn(t.app, { email, password: PASSWORD })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  it('emails the invitation; its link sets a password once and the invitee signs in', async () => {
    const email = `reviewer-${Math.random().toString(36).slice(2)}@example.test`
    const res = await post(t.app, owner, '/console/users', { email, role: 'reviewer' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.body).toContain(`An invitation was emailed to ${email}`)
    expect(res.body).not.toMatch(INVITE_LINK)

    const mail = smtp.mails.find((m) => m.to.includes(email))
    expect(mail).toBeDefined()
    expect(mail!.from).toBe('console@loom.test')
    const text = unQuote(mail!.raw)
    expect(text).toContain('Subject: Your invitation to the Loom console of Acme Shop')
    expect(text).toContain('as Reviewer')
    const link = INVITE_LINK.exec(text)?.[1]
    expect(link).toBeDefined()

    const accept = await t.app.inject({
      method: 'POST',
      url: link!,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ password: PASSWORD }).toString(),
    })
    expect(accept.statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: link! })).statusCode).toBe(404)
    await signIn(t.app, { email, password: PASSWORD })
  })

  it('shows the link when the email cannot be sent, and logs neither address nor link', async () => {
    await smtp.close()
    const email = `viewer-${Math.random().toString(36).slice(2)}@example.test`
    const res = await post(t.app, owner, '/console/users', { email, role: 'viewer' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.body).toContain(`The invitation email to ${email} could not be sent`)
    const link = INVITE_LINK.exec(res.body)?.[1]
    expect(link).toBeDefined()
    const page = await t.app.inject({ method: 'GET', url: link! })
    expect(page.statusCode).toBe(200)
    const failure = logLines.filter((l) => l.includes('console invitation email failed'))
    expect(failure).toHaveLength(1)
    for (const line of logLines) {
      expect(line).not.toContain(email)
      expect(line).not.toContain(link!)
    }
  })
})
