// GET /events: a tenant's events in creation order, the same envelopes its webhooks carry. For
// catching up after downtime, and for `loom listen`, which holds one long poll after another
// (`wait`) to forward events to a local URL without a public one.
import { callerOf } from '../auth.ts'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { IsoTime, WebhookEvent } from '../schemas.ts'
import { eventPage } from '../../services/events.ts'

const MAX_WAIT_SECONDS = 30

const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

/** The tenant event feed. */
export async function eventRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app

  app.get(
    '/events',
    {
      config: { auth: 'tenant', surface: 'native' },
      schema: {
        tags: ['webhooks'],
        security: [{ tenantKey: [] }, { bearer: [] }],
        summary: 'Events of your verifications, oldest first (the envelopes webhooks carry)',
        description:
          'A key sees the events of its own mode (test or live). Page with `after` (the last event id you have); start from a time with `since`. With `wait` (seconds, at most 30) and nothing new yet, the answer waits until an event arrives or the time is up: a long poll.',
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            since: Type.Optional(IsoTime),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
            wait: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_SECONDS })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(WebhookEvent),
            hasMore: Type.Boolean({ description: 'More events are waiting: ask again at once' }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const caller = callerOf(req)
      const q = req.query
      if (q.after !== undefined && q.since !== undefined) {
        throw new ApiError('INVALID_PARAMETERS', 'Send after or since, not both')
      }
      const page = await eventPage(deps, caller.tenant.id, caller.mode, {
        after: q.after,
        since: q.since,
        limit: q.limit ?? 50,
        waitSeconds: q.wait ?? 0,
        gone: () => req.raw.destroyed,
      })
      if (!page.ok) throw new ApiError('INVALID_PARAMETERS', `after: no event ${q.after}`)
      return { data: page.data, hasMore: page.hasMore }
    },
  )
}
