// A user's own account (TOTP, sign-out everywhere) and the owners' users page: invite a user
// with a role; the invitation is emailed when SMTP is configured, else its link is shown once.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  CONSOLE_ROLES,
  ConsoleInputError,
  consoleUsers,
  createConsoleUser,
  enableTotp,
  newTotpSecret,
} from './accounts.ts'
import { csrfField, h, input, notice, select, table, translator } from './pages.ts'
import type { T } from './pages.ts'
import { sendMail } from '../services/mail.ts'
import { formOf, languageOf } from './http.ts'
import type { ConsolePluginOptions, UserPrincipal } from './http.ts'

export async function accountRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console
  app.get('/users', async (req, reply) => {
    const p = userOf(req, 'users')
    return usersPage(req, reply, p, null)
  })

  async function usersPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: UserPrincipal,
    message: string | null,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const users = await consoleUsers(deps, p.tenant.id)
    const list = table(
      t('users.title'),
      [t('users.email'), t('users.role'), t('users.status')],
      users.map((u) => [
        h(u.email),
        h(t(`role.${u.role}`)),
        h(u.passwordHash === null ? t('users.invited') : t('users.active')),
      ]),
    )
    const form = `<h2>${h(t('users.invite'))}</h2><form method="post" action="/console/users" class="stack">${csrfField(p)}
${input('email', t('users.email'), { type: 'email', required: true })}
${select(
  'role',
  t('users.role'),
  CONSOLE_ROLES.map((r): [string, string] => [r, t(`role.${r}`)]),
  'viewer',
)}
<button type="submit">${h(t('users.invite'))}</button></form>`
    return send(req, reply, t('users.title'), `${message ?? ''}${list}${form}`, status)
  }

  app.post('/users', async (req, reply) => {
    const p = userOf(req, 'users')
    const t = translator(languageOf(req))
    const form = formOf(req)
    try {
      const created = await createConsoleUser(deps, {
        tenantId: p.tenant.id,
        email: form.email ?? '',
        role: form.role ?? '',
      })
      const email = created.user.email
      const link = `${deps.config.publicUrl}/console/invite/${created.inviteToken ?? ''}`
      const expires = created.user.inviteExpiresAt ?? ''
      const mailed = await mailInvitation(t, email, {
        tenant: p.tenant.name,
        role: t(`role.${created.user.role}`),
        link,
        expires: `${expires.slice(0, 16).replace('T', ' ')} UTC`,
      })
      if (mailed === 'sent')
        return await usersPage(req, reply, p, notice(t('users.invite_mailed', { email })), 201)
      const lead = mailed === 'failed' ? 'users.invite_mail_failed' : 'users.invite_link'
      return await usersPage(
        req,
        reply,
        p,
        `<div role="status" class="notice"><p>${h(t(lead, { email }))}</p><p><code>${h(link)}</code></p></div>`,
        201,
      )
    } catch (err) {
      if (err instanceof ConsoleInputError)
        return usersPage(req, reply, p, notice(t(`error.${err.code}`), 'alert'), 400)
      throw err
    }
  })

  /**
   * Emails a console invitation when SMTP is configured. A failure is not the owner's error: the
   * page then shows the link to pass on by hand. The log line names neither address nor link.
   * The email is in the language the owner works in.
   */
  async function mailInvitation(
    t: T,
    email: string,
    values: { tenant: string; role: string; link: string; expires: string },
  ): Promise<'sent' | 'failed' | 'not_configured'> {
    const smtp = deps.config.smtp
    if (smtp === null) return 'not_configured'
    try {
      await sendMail(
        smtp,
        {
          to: { address: email },
          subject: t('mail.invite_subject', values),
          text: t('mail.invite_text', values),
        },
        deps.config.webhookTimeoutMs,
      )
      return 'sent'
    } catch (err) {
      deps.logger.warn(
        { errorCode: (err as { code?: unknown }).code ?? null },
        'console invitation email failed',
      )
      return 'failed'
    }
  }

  app.get('/account', async (req, reply) => {
    const p = userOf(req)
    return accountPage(req, reply, p, null, newTotpSecret())
  })

  function accountPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: UserPrincipal,
    message: string | null,
    secret: string,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const totp =
      p.user.totpSecretSealed !== null
        ? `<p>${h(t('account.totp_on'))}</p>`
        : `<p>${h(t('account.totp_secret'))}</p><p><code>${h(secret)}</code></p>
<form method="post" action="/console/account/totp" class="stack">${csrfField(p)}<input type="hidden" name="secret" value="${h(secret)}">
${input('code', t('account.totp_code'), { autocomplete: 'one-time-code', required: true })}
<button type="submit">${h(t('account.totp_enable'))}</button></form>`
    const body = `${message ?? ''}<p>${h(t('account.signed_in_as', { email: p.user.email, role: t(`role.${p.user.role}`), tenant: p.tenant.name }))}</p>
<h2>${h(t('account.totp'))}</h2>${totp}
<h2>${h(t('signout.everywhere'))}</h2><p>${h(t('signout.everywhere_lead'))}</p>
<form method="post" action="/console/sign-out-everywhere">${csrfField(p)}<button type="submit">${h(t('signout.everywhere'))}</button></form>`
    return send(req, reply, t('account.title'), body, status)
  }

  app.post('/account/totp', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const form = formOf(req)
    const secret = form.secret ?? ''
    if (!(await enableTotp(deps, p.user, secret, form.code ?? '')))
      return accountPage(req, reply, p, notice(t('account.totp_bad'), 'alert'), secret, 400)
    return reply.redirect('/console/account', 303)
  })
}
