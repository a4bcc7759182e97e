// The operator's view of the job queue: counts, listing (e.g. the dead letters) and retry.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { typed } from '../typed.ts'
import { IsoTime, Nullable } from '../schemas.ts'
import { JOB_STATES, jobById, jobsPage, retryJob } from '../../services/admin.ts'
import type { Job } from '../../services/admin.ts'

const JobState = Type.Enum(JOB_STATES)
const JobView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  tenantId: Nullable(Type.String()),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'Ids only' }),
  state: JobState,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  runAt: IsoTime,
  lastError: Nullable(Type.String()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  finishedAt: Nullable(IsoTime),
})
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
} as const

function jobView(job: Job): Static<typeof JobView> {
  const { lockedBy: _lease, ...rest } = job
  return rest
}

/** Routes under /admin for jobs. */
export async function adminJobRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const config = { auth: 'admin', surface: 'native' } as const
  const security = [{ adminKey: [] }]
  const tags = ['admin']

  app.get(
    '/jobs',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Jobs, newest first (state=dead lists the dead letters)',
        querystring: Type.Object(
          {
            state: Type.Optional(JobState),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            counts: Type.Record(Type.String(), Type.Integer(), {
              description: 'Jobs per state in the whole queue',
            }),
            data: Type.Array(JobView),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { state, type, limit } = req.query
      const { counts, jobs } = await jobsPage(deps, { state, type, limit: limit ?? 50 })
      return { counts, data: jobs.map(jobView) }
    },
  )

  app.get(
    '/jobs/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'One job',
        params: IdParams,
        response: { 200: JobView, ...errors },
      },
    },
    async (req) => jobView(await jobById(deps, req.params.id)),
  )

  app.post(
    '/jobs/:id/retry',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Put a dead job back in the queue with a fresh set of attempts',
        params: IdParams,
        response: { 202: JobView, ...errors },
      },
    },
    async (req, reply) => {
      const retried = await retryJob(deps, req.params.id)
      return reply.status(202).send(jobView(retried))
    },
  )
}
