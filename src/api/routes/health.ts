import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'

export const HealthReply = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    database: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
    redis: Type.Union([
      Type.Literal('connected'),
      Type.Literal('disconnected'),
      Type.Literal('not_configured'),
    ]),
    engine: Type.Union([Type.Literal('ready'), Type.Literal('failed'), Type.Literal('unchecked')], {
      description:
        'The document engine: ready once its start-up self-check passed, failed when it cannot read documents (see engineError), unchecked before',
    }),
    engineError: Type.Optional(Type.String()),
  },
  { $id: 'Health' },
)

/**
 * `GET /health`: 200 when the database answers (degraded if Redis does not, or the document
 * engine failed its self-check), else 503.
 */
export async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  app.get(
    '/health',
    {
      config: { auth: 'none' },
      schema: {
        summary: 'Health check',
        tags: ['health'],
        response: { 200: HealthReply, 503: HealthReply },
      },
    },
    async (_req, reply) => {
      const database = (await app.deps.store.ping()) ? 'connected' : 'disconnected'
      const redis = app.deps.redisStatus()
      const engine = app.deps.engineHealth
      const ok = database === 'connected' && redis !== 'disconnected' && engine.status !== 'failed'
      return reply.status(database === 'connected' ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        database,
        redis,
        engine: engine.status,
        ...(engine.message !== null && { engineError: engine.message }),
      })
    },
  )
}
