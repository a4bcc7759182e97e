// The native API: /verify/* (start, status, complete, submit, events); the age-token routes
// (/tokens/*, JWKS) are in tokens.ts and registered with these.
import { callerOf, tenantOf } from '../auth.ts'
import type { FastifyInstance } from 'fastify'
import type { Deps } from '../../deps.ts'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { IsoTime, Nullable, PublicResult, Text } from '../schemas.ts'
import {
  MOCK_BEHAVIORS,
  STATUSES,
  VERIFICATION_TYPES,
  requiredImages,
} from '../../domain/verification.ts'
import type { MockBehavior, VerificationType } from '../../domain/verification.ts'
import { completeWithEvidence } from '../../services/decisions.ts'
import {
  storedToken,
  loadVerification,
  publicResult,
  startVerification,
  submitOutcome,
} from '../../services/verifications.ts'
import type { Completed } from '../../services/verifications.ts'
import { findWorkflow } from '../../services/sessions.ts'
import type { Verification } from '../../services/verifications.ts'
import { verificationEvents } from '../../services/events.ts'
import { tokenRoutes } from './tokens.ts'

const Url = Type.String({ maxLength: 2048, minLength: 1 })
const WorkflowId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'A workflow (/v1/workflows) whose settings apply; explicit fields win',
})

const VerificationTypeSchema = Type.Enum([...VERIFICATION_TYPES])
const MinAge = Type.Integer({ minimum: 13, maximum: 25 })
const Ttl = Type.String({ maxLength: 16, description: 'Duration such as "90d", "12h", "30m"' })
const MockBehaviorSchema = Type.Enum(MOCK_BEHAVIORS)
const Metadata = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 50,
  description: 'Your own key-value pairs (at most 50 keys, 16 KB as JSON); returned as given',
})

/** Every field optional; each accepted in the spelling the API documents and its snake/camel twin. */
const StartBody = Type.Object(
  {
    metadata: Type.Optional(Metadata),
    callback_url: Type.Optional(Url),
    callbackUrl: Type.Optional(Url),
    returnUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'Where the person returns after the hosted page (with verificationId, status and state). The clearer name for callback_url / redirectUrl in a request; in the answer, redirectUrl is the hosted page (same as sessionUrl).',
      }),
    ),
    redirectUrl: Type.Optional(Url),
    redirect_url: Type.Optional(Url),
    state: Type.Optional(Type.String({ maxLength: 512 })),
    userAgent: Type.Optional(Type.String({ maxLength: 1024 })),
    user_agent: Type.Optional(Type.String({ maxLength: 1024 })),
    ip: Type.Optional(
      Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })]),
    ),
    external_id: Type.Optional(Text(200)),
    externalId: Type.Optional(Text(200)),
    verification_type: Type.Optional(VerificationTypeSchema),
    verificationType: Type.Optional(VerificationTypeSchema),
    minAge: Type.Optional(MinAge),
    min_age: Type.Optional(MinAge),
    time_to_live: Type.Optional(Ttl),
    timeToLive: Type.Optional(Ttl),
    mock_behavior: Type.Optional(MockBehaviorSchema),
    mockBehavior: Type.Optional(MockBehaviorSchema),
    workflow_id: Type.Optional(WorkflowId),
    workflowId: Type.Optional(WorkflowId),
  },
  { additionalProperties: false },
)

const StartReply = Type.Object({
  verificationId: Type.String(),
  status: Type.Literal('pending'),
  sessionUrl: Type.String({ description: 'Send the person here to complete the verification' }),
  redirectUrl: Type.String({ description: 'Same as sessionUrl' }),
  expiresAt: IsoTime,
  createdAt: IsoTime,
  mode: Type.Union([Type.Literal('live'), Type.Literal('test')]),
  config: Type.Object({
    verificationType: VerificationTypeSchema,
    minAge: Type.Integer(),
    requiredImages: Type.Array(Type.String()),
  }),
})

const Result = PublicResult

const Livemode = Type.Boolean({
  description: 'true for a live verification, false for a test one (a test key, or test_mode)',
})

const StatusReply = Type.Object({
  verificationId: Type.String(),
  livemode: Livemode,
  status: Type.Enum(STATUSES),
  confidence: Nullable(Type.Number()),
  verificationType: VerificationTypeSchema,
  minAge: Type.Integer(),
  createdAt: IsoTime,
  completedAt: Nullable(IsoTime),
  expiresAt: IsoTime,
  metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
  externalId: Nullable(Type.String()),
  result: Type.Optional(Result),
  token: Type.Optional(
    Type.String({ description: 'The age token, once approved (until deleted or expired)' }),
  ),
  tokenExpiresAt: Type.Optional(IsoTime),
})

const VerificationIdField = Type.String({ minLength: 1, maxLength: 64 })
const CompleteBody = Type.Object(
  { verificationId: VerificationIdField },
  { additionalProperties: false },
)
const CompleteReply = Type.Object({
  verificationId: Type.String(),
  livemode: Livemode,
  status: Type.String(),
  confidence: Nullable(Type.Number()),
  completedAt: Nullable(IsoTime),
  result: Result,
  token: Type.Optional(Type.String({ description: 'Age token (JWT), when approved' })),
  tokenExpiresAt: Type.Optional(IsoTime),
})
const SubmitBody = Type.Object(
  {
    verificationId: VerificationIdField,
    status: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]),
    verifiedAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 150 })),
    reason: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })),
  },
  { additionalProperties: false },
)

const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
  410: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

function pick<T>(
  field: string,
  a: T | undefined,
  altName: string,
  b: T | undefined,
): T | undefined {
  if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) {
    throw new ApiError('INVALID_REQUEST_BODY', `${field} and ${altName} disagree; send one of them`)
  }
  return a ?? b
}

export function statusView(v: Verification, deps: Deps): Static<typeof StatusReply> {
  const token = v.status === 'approved' ? storedToken(deps, v) : null
  return {
    verificationId: v.id,
    livemode: v.mode === 'live',
    status: v.status,
    confidence: v.confidence,
    verificationType: v.verificationType,
    minAge: v.minAge,
    createdAt: v.createdAt,
    completedAt: v.completedAt,
    expiresAt: v.expiresAt,
    metadata: v.metadata,
    externalId: v.externalId,
    ...(v.decision && { result: publicResult(v.decision) }),
    ...(token && { token: token.token, tokenExpiresAt: token.expiresAt }),
  }
}

function completedView({ verification, token }: Completed): Static<typeof CompleteReply> {
  if (verification.decision === null) throw new Error('completed verification without a decision')
  return {
    verificationId: verification.id,
    livemode: verification.mode === 'live',
    status: verification.status,
    confidence: verification.confidence,
    completedAt: verification.completedAt,
    result: publicResult(verification.decision),
    ...(token && { token: token.token, tokenExpiresAt: token.expiresAt.toISOString() }),
  }
}

/** The native verification routes, and with them the token routes. */
export async function verifyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const config = { auth: 'tenant', surface: 'native' } as const
  const security: { [name: string]: string[] }[] = [{ tenantKey: [] }, { bearer: [] }]
  const tags = ['verification']

  app.post(
    '/verify/start',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Start a verification session',
        description:
          'Every field is optional. Send an Idempotency-Key header to make retries return the same session.',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        }),
        body: StartBody,
        response: { 200: StartReply, 201: StartReply, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body
      const tenant = tenantOf(req)
      const workflowId = pick('workflow_id', b.workflow_id, 'workflowId', b.workflowId)
      const workflow =
        workflowId === undefined ? null : await findWorkflow(app.deps, tenant, workflowId)
      const { verification, sessionUrl, created } = await startVerification(
        app.deps,
        tenant,
        req.apiKey!,
        {
          surface: 'native',
          workflow,
          metadata: b.metadata,
          callbackUrl: pick(
            'returnUrl',
            b.returnUrl,
            'callback_url',
            pick(
              'callback_url',
              pick('callback_url', b.callback_url, 'callbackUrl', b.callbackUrl),
              'redirectUrl',
              pick('redirectUrl', b.redirectUrl, 'redirect_url', b.redirect_url),
            ),
          ),
          state: b.state,
          userAgent: pick('userAgent', b.userAgent, 'user_agent', b.user_agent),
          ip: b.ip,
          externalId: pick('external_id', b.external_id, 'externalId', b.externalId),
          verificationType: pick<VerificationType>(
            'verification_type',
            b.verification_type,
            'verificationType',
            b.verificationType,
          ),
          minAge: pick('minAge', b.minAge, 'min_age', b.min_age),
          timeToLive: pick('time_to_live', b.time_to_live, 'timeToLive', b.timeToLive),
          mockBehavior: pick<MockBehavior>(
            'mock_behavior',
            b.mock_behavior,
            'mockBehavior',
            b.mockBehavior,
          ),
          idempotencyKey: req.headers['idempotency-key'],
        },
      )
      req.loomEvent = created ? 'verification.started' : 'verification.start_replayed'
      if (!created) void reply.header('idempotent-replayed', 'true')
      return reply.status(200).send({
        verificationId: verification.id,
        status: 'pending' as const,
        sessionUrl,
        redirectUrl: sessionUrl,
        expiresAt: verification.expiresAt,
        createdAt: verification.createdAt,
        mode: verification.mode,
        config: {
          verificationType: verification.verificationType,
          minAge: verification.minAge,
          requiredImages: requiredImages(
            verification.verificationType,
            verification.settings.requireSelfie,
          ),
        },
      })
    },
  )

  app.get(
    '/verify/status',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Status of a verification',
        querystring: Type.Object(
          { verificationId: VerificationIdField },
          { additionalProperties: false },
        ),
        response: { 200: StatusReply, ...errors },
      },
    },
    async (req) =>
      statusView(
        await loadVerification(app.deps, callerOf(req), req.query.verificationId),
        app.deps,
      ),
  )

  app.post(
    '/verify/complete',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Finalise a verification and mint an age token if approved',
        description: 'Test keys apply the verification’s mock_behavior (default approve).',
        body: CompleteBody,
        response: { 200: CompleteReply, ...errors },
      },
    },
    async (req) => {
      const completed = await completeWithEvidence(app.deps, callerOf(req), req.body.verificationId)
      req.loomEvent = 'verification.completed'
      return completedView(completed)
    },
  )

  app.post(
    '/verify/submit',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Record your own outcome for a verification (e.g. after manual review)',
        body: SubmitBody,
        response: { 200: CompleteReply, ...errors },
      },
    },
    async (req) => {
      const { verificationId, ...input } = req.body
      const completed = await submitOutcome(app.deps, callerOf(req), verificationId, input)
      req.loomEvent = 'verification.submitted'
      return completedView(completed)
    },
  )

  app.get(
    '/verify/events',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The events of one verification, oldest first',
        querystring: Type.Object(
          { verificationId: VerificationIdField },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            verificationId: Type.String(),
            events: Type.Array(
              Type.Object({
                id: Type.String(),
                type: Type.String(),
                createdAt: IsoTime,
                data: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { verification, events } = await verificationEvents(
        app.deps,
        callerOf(req),
        req.query.verificationId,
      )
      return {
        verificationId: verification.id,
        events: events.map((e) => ({
          id: e.id,
          type: e.type,
          createdAt: e.createdAt,
          data: e.payload,
        })),
      }
    },
  )

  await tokenRoutes(fastify)
}
