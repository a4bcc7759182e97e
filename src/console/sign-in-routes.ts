// Console sign-in: tenant users (email, password, TOTP when turned on) and the operator (the
// admin key); sign-out, here or everywhere; and accepting an invitation by choosing a password.
// Failed attempts count against the address like failed API keys.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { adminKeyMatches } from '../api/auth.ts'
import { recordAuthFailure, refuseBlockedAddress } from '../api/brute-force.ts'
import {
  ConsoleInputError,
  acceptInvitation,
  invitedUser,
  signInOperator,
  signInUser,
  signOut,
  signOutEverywhere,
  SESSION_MAX_MS,
} from './accounts.ts'
import { h, input, notice, select, translator } from './pages.ts'
import { COOKIE, FORM_COOKIE, cookie, cookiesOf, formOf, languageOf, sameText } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'

export async function signInRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console
  function signInPage(
    req: FastifyRequest,
    reply: FastifyReply,
    message: string | null,
    status = 200,
    choice: { email: string; tenants: { id: string; name: string }[] } | null = null,
  ) {
    const t = translator(languageOf(req))
    const formToken = createHash('sha256').update(`${req.id}${Math.random()}`).digest('base64url')
    void reply.header('set-cookie', cookie(req, FORM_COOKIE, formToken, 3600))
    const field = `<input type="hidden" name="_form" value="${h(formToken)}">`
    const body = `${message === null ? '' : notice(message, choice === null ? 'alert' : 'status')}
<form method="post" action="/console/sign-in" class="stack">${field}
${input('email', t('signin.email'), { type: 'email', required: true, autocomplete: 'username', ...(choice && { value: choice.email }) })}
${
  choice === null
    ? ''
    : select(
        'tenant',
        t('signin.tenant'),
        choice.tenants.map((tenant) => [tenant.id, tenant.name]),
        undefined,
      )
}
${input('password', t('signin.password'), { type: 'password', required: true, autocomplete: 'current-password' })}
${input('totp', t('signin.totp'), { autocomplete: 'one-time-code' })}
<button type="submit">${h(t('signin.submit'))}</button></form>
<h2>${h(t('signin.operator'))}</h2>
<form method="post" action="/console/operator/sign-in" class="stack">${field}
${input('adminKey', t('signin.admin_key'), { type: 'password', required: true, autocomplete: 'off' })}
<button type="submit">${h(t('signin.operator_submit'))}</button></form>`
    return send(req, reply, t('signin.title'), body, status)
  }

  function formTokenOk(req: FastifyRequest): boolean {
    return sameText(formOf(req)._form ?? '', cookiesOf(req).get(FORM_COOKIE) ?? '')
  }

  function startSession(req: FastifyRequest, reply: FastifyReply, token: string, to: string) {
    void reply.header('set-cookie', cookie(req, COOKIE, token, Math.floor(SESSION_MAX_MS / 1000)))
    return reply.redirect(to, 303)
  }

  app.get('/sign-in', async (req, reply) => signInPage(req, reply, null))

  app.post('/sign-in', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    if (!formTokenOk(req)) return signInPage(req, reply, t('signin.expired_form'), 403)
    const form = formOf(req)
    const outcome = await signInUser(deps, {
      email: form.email ?? '',
      password: (form.password ?? '').slice(0, 1000),
      totp: form.totp,
      tenantId: form.tenant,
    })
    if (!outcome.ok && outcome.reason === 'choose_tenant') {
      const choice = { email: form.email ?? '', tenants: outcome.tenants }
      return signInPage(req, reply, t('signin.choose_tenant'), 200, choice)
    }
    if (!outcome.ok) {
      if (outcome.reason === 'invalid') await recordAuthFailure(deps, req.ip)
      const key = outcome.reason === 'totp_required' ? 'signin.totp_required' : 'signin.invalid'
      return signInPage(req, reply, t(key), 401)
    }
    return startSession(req, reply, outcome.token, '/console/verifications')
  })

  app.post('/operator/sign-in', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    if (!formTokenOk(req)) return signInPage(req, reply, t('signin.expired_form'), 403)
    if (!adminKeyMatches(formOf(req).adminKey ?? '', deps.adminKeyHash)) {
      await recordAuthFailure(deps, req.ip)
      return signInPage(req, reply, t('signin.operator_invalid'), 401)
    }
    const { token } = await signInOperator(deps)
    return startSession(req, reply, token, '/console/operator/tenants')
  })

  app.post('/sign-out', async (req, reply) => {
    const p = req.consolePrincipal
    if (p !== null) await signOut(deps, p)
    void reply.header('set-cookie', cookie(req, COOKIE, '', 0))
    return reply.redirect('/console/sign-in', 303)
  })

  app.post('/sign-out-everywhere', async (req, reply) => {
    const p = userOf(req)
    await signOutEverywhere(deps, p.user)
    void reply.header('set-cookie', cookie(req, COOKIE, '', 0))
    return reply.redirect('/console/sign-in', 303)
  })

  app.get<{ Params: { token: string } }>('/invite/:token', async (req, reply) => {
    const t = translator(languageOf(req))
    const user = await invitedUser(deps, req.params.token)
    if (user === null)
      return send(req, reply, t('invite.title'), notice(t('invite.invalid'), 'alert'), 404)
    const body = `<p>${h(t('invite.lead', { email: user.email, role: t(`role.${user.role}`) }))}</p>
<form method="post" action="/console/invite/${h(req.params.token)}" class="stack">
${input('password', t('signin.password'), { type: 'password', required: true, autocomplete: 'new-password', hint: t('invite.password_hint') })}
<button type="submit">${h(t('invite.submit'))}</button></form>`
    return send(req, reply, t('invite.title'), body)
  })

  app.post<{ Params: { token: string } }>('/invite/:token', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    try {
      const user = await acceptInvitation(deps, req.params.token, formOf(req).password ?? '')
      if (user === null) {
        await recordAuthFailure(deps, req.ip)
        return send(req, reply, t('invite.title'), notice(t('invite.invalid'), 'alert'), 404)
      }
    } catch (err) {
      if (err instanceof ConsoleInputError)
        return send(req, reply, t('invite.title'), notice(t(`error.${err.code}`), 'alert'), 400)
      throw err
    }
    return send(
      req,
      reply,
      t('invite.title'),
      `${notice(t('invite.done'))}<p><a href="/console/sign-in">${h(t('signin.title'))}</a></p>`,
    )
  })
}
