// The move from a computer to a phone, the page's side: the QR code of the session's link and the
// short link a person can type instead (handoff.ts), both asked for by handoff.js when the person
// chooses to continue on a phone. GET /h/<code>, where a typed link lands, is with the page.
import type { FastifyInstance } from 'fastify'
import QRCode from 'qrcode'
import { Type } from 'typebox'
import { typed } from '../api/typed.ts'
import { sendCompressed } from './compressed.ts'
import { displayHandoffCode, handoffCodeFor, handoffShortUrl } from './handoff.ts'
import { PAGE_COST, spendSessionBudget } from './session.ts'
import { handoffUrlOf, pageErrors, pageHeaders, sessionFor, TokenParams } from './routes.ts'

const ShortLink = Type.Object({
  shortUrl: Type.String(),
  code: Type.String(),
})

export async function handoffRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const config = { auth: 'none', surface: 'native' } as const

  // The code a computer shows so that a phone opens this session; made here, so the link never
  // passes through a third party. An <img> of the page's own origin, which its CSP allows.
  app.get(
    '/s/:token/handoff.svg',
    { config, schema: { hide: true, params: TokenParams, response: pageErrors } },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      const svg = await QRCode.toString(handoffUrlOf(deps, req.params.token), {
        type: 'svg',
        errorCorrectionLevel: 'M',
        margin: 2,
      })
      return sendCompressed(
        reply.type('image/svg+xml; charset=utf-8'),
        req.headers['accept-encoding'],
        Buffer.from(svg),
      )
    },
  )

  // The short link: the session's code, the same one while its link lasts.
  app.post(
    '/s/:token/handoff',
    {
      config,
      schema: { hide: true, params: TokenParams, response: { 200: ShortLink, ...pageErrors } },
    },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      const code = await handoffCodeFor(deps, session)
      return { shortUrl: handoffShortUrl(deps, code), code: displayHandoffCode(code) }
    },
  )
}
