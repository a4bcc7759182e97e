// The API keys page: every user sees the tenant's keys; owners and developers create one (test
// or live), roll one (a new key, the old one revoked) and revoke one after a confirmation. A new
// key's secret is shown once, on the page that answers the form, and never again. The same store
// functions as the admin keys API do the work.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isId } from '../domain/ids.ts'
import type { ApiKey, KeyMode } from '../domain/tenants.ts'
import { createApiKey, listApiKeys, revokeApiKey, rollApiKey } from '../store/tenants.ts'
import { csrfField, h, input, mayDo, notice, select, table } from './pages.ts'
import type { T } from './pages.ts'
import { ConsoleHttp, formOf, isoShort, oneOf, textOf } from './http.ts'
import type { ConsolePluginOptions, UserPrincipal } from './http.ts'

const MAX_KEY_NAME = 100

export async function keyRoutes(app: FastifyInstance, opts: ConsolePluginOptions): Promise<void> {
  const { deps, send, userOf } = opts.console

  function keyTable(t: T, p: UserPrincipal, keys: ApiKey[]): string {
    const may = mayDo(p, 'developers')
    const headers = [
      t('keys.prefix'),
      t('list.mode'),
      t('keys.name'),
      t('list.created'),
      t('keys.last_used'),
      t('list.status'),
    ]
    if (may) headers.push(t('keys.actions'))
    return table(
      t('keys.title'),
      headers,
      keys.map((k) => {
        const cells = [
          `<code>${h(k.prefix)}…</code>`,
          h(k.mode),
          h(k.name ?? '—'),
          h(isoShort(k.createdAt)),
          h(isoShort(k.lastUsedAt)),
          h(
            k.revokedAt === null
              ? t('keys.active')
              : `${t('keys.revoked')} ${isoShort(k.revokedAt)}`,
          ),
        ]
        if (may)
          cells.push(
            k.revokedAt !== null
              ? ''
              : `<form method="post" action="/console/keys/${h(k.id)}/roll" class="inline">${csrfField(p)}<button type="submit">${h(t('keys.roll'))}</button></form> <a href="/console/keys/${h(k.id)}/revoke">${h(t('keys.revoke'))}</a>`,
          )
        return cells
      }),
    )
  }

  async function keysPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: UserPrincipal,
    message: string,
    status = 200,
  ) {
    const t = textOf(req)
    const keys = await listApiKeys(deps.store.db, p.tenant.id)
    const form = mayDo(p, 'developers')
      ? `<h2>${h(t('keys.create'))}</h2><form method="post" action="/console/keys" class="stack">${csrfField(p)}
${select(
  'mode',
  t('list.mode'),
  [
    ['test', t('keys.mode_test')],
    ['live', t('keys.mode_live')],
  ],
  'test',
)}
${input('name', t('keys.name'))}
<button type="submit">${h(t('keys.create'))}</button></form>`
      : `<p>${h(t('keys.read_only'))}</p>`
    return send(req, reply, t('keys.title'), `${message}${keyTable(t, p, keys)}${form}`, status)
  }

  /** The page that shows a new key's secret, once. */
  function shownOnce(t: T, key: ApiKey, secret: string, lead: string): string {
    return `<div role="status" class="notice"><p>${h(lead)}</p><p>${h(t('keys.shown_once'))}</p>
<p><code class="secret">${h(secret)}</code></p></div>`
  }

  app.get('/keys', async (req, reply) => {
    const p = userOf(req)
    const t = textOf(req)
    const q = req.query as Record<string, string | undefined>
    return keysPage(req, reply, p, q.revoked ? notice(t('keys.revoked_done')) : '')
  })

  app.post('/keys', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const form = formOf(req)
    const mode = oneOf(form.mode, ['live', 'test'], 'mode') as KeyMode | undefined
    if (mode === undefined)
      return keysPage(req, reply, p, notice(t('keys.mode_missing'), 'alert'), 400)
    const name = (form.name ?? '').trim()
    if (name.length > MAX_KEY_NAME)
      return keysPage(req, reply, p, notice(t('keys.name_long'), 'alert'), 400)
    const { apiKey, key } = await createApiKey(
      deps.store.db,
      p.tenant.id,
      mode,
      name === '' ? null : name,
      deps.clock.now(),
    )
    req.loomEvent = 'api_key.created'
    return keysPage(req, reply, p, shownOnce(t, apiKey, key, t('keys.created')), 201)
  })

  app.post<{ Params: { id: string } }>('/keys/:id/roll', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const rolled = isId('key', req.params.id)
      ? await rollApiKey(deps.store.db, p.tenant.id, req.params.id, deps.clock.now())
      : null
    if (rolled === null) throw new ConsoleHttp(404, 'error.not_found')
    app.tenantAuth.invalidate()
    req.loomEvent = 'api_key.rolled'
    const lead = t('keys.rolled', { prefix: `${rolled.replaced.prefix}…` })
    return keysPage(req, reply, p, shownOnce(t, rolled.apiKey, rolled.key, lead), 201)
  })

  /** A tenant's active key, or a 404 (another tenant's key, a revoked one, or no such id). */
  async function activeKey(p: UserPrincipal, id: string): Promise<ApiKey> {
    const keys = isId('key', id) ? await listApiKeys(deps.store.db, p.tenant.id) : []
    const key = keys.find((k) => k.id === id && k.revokedAt === null)
    if (key === undefined) throw new ConsoleHttp(404, 'error.not_found')
    return key
  }

  app.get<{ Params: { id: string } }>('/keys/:id/revoke', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const key = await activeKey(p, req.params.id)
    const body = `<p>${h(t('keys.revoke_confirm', { prefix: `${key.prefix}…`, mode: key.mode }))}</p>
<form method="post" action="/console/keys/${h(key.id)}/revoke" class="stack">${csrfField(p)}
<button type="submit">${h(t('keys.revoke_submit'))}</button></form>
<p><a href="/console/keys">${h(t('keys.cancel'))}</a></p>`
    return send(req, reply, t('keys.revoke_title'), body)
  })

  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (req, reply) => {
    const p = userOf(req, 'developers')
    await activeKey(p, req.params.id)
    const revoked = await revokeApiKey(deps.store.db, p.tenant.id, req.params.id, deps.clock.now())
    if (revoked === null) throw new ConsoleHttp(404, 'error.not_found')
    app.tenantAuth.invalidate()
    req.loomEvent = 'api_key.revoked'
    return reply.redirect('/console/keys?revoked=1', 303)
  })
}
