// The sessions API: identity sessions for a named applicant at /v1/sessions, with email and SMS
// invitations, a workflow, and a redirect that tells the tenant's site how the session ended.
// Fields as the API lists them (snake_case, each with its camelCase alias); errors in the
// 'sessions' surface's shape (the one-shot API's, with 402 when the balance is exhausted).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { callerOf, tenantOf } from '../../auth.ts'
import { typed } from '../../typed.ts'
import { workflowRoutes } from '../../routes/workflows.ts'
import { ApiError } from '../../errors.ts'
import { Nullable, PublicResult, Text } from '../../schemas.ts'
import type { Deps } from '../../../deps.ts'
import { sessionOutcome } from '../../../domain/outcome.ts'
import { VERIFICATION_TYPES } from '../../../domain/verification.ts'
import {
  applicantOf,
  createSession,
  invitationsOf,
  listSessions,
  loadSession,
  sessionLinkFor,
} from '../../../services/sessions.ts'
import type { Invitation } from '../../../services/sessions.ts'
import { publicResult, storedToken } from '../../../services/verifications.ts'
import type { Verification } from '../../../services/verifications.ts'
import { purgeVerification } from '../../../services/documents.ts'

export const SessionError = Type.Object(
  {
    request_id: Type.String(),
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'SessionError', title: 'Error (/v1/sessions and /v1/workflows)' },
)

const Name = Text(100)
const ExternalId = Text(200)
const WorkflowId = Type.String({ minLength: 1, maxLength: 64 })
const UrlField = Type.String({ minLength: 1, maxLength: 2048 })

const CreateBody = Type.Object(
  {
    first_name: Type.Optional(Name),
    firstName: Type.Optional(Name),
    last_name: Type.Optional(Name),
    lastName: Type.Optional(Name),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ maxLength: 32, description: 'E.164, e.g. +15192223333' })),
    external_id: Type.Optional(ExternalId),
    externalId: Type.Optional(ExternalId),
    send_email_invite: Type.Optional(Type.Boolean()),
    sendEmailInvite: Type.Optional(Type.Boolean()),
    send_phone_invite: Type.Optional(Type.Boolean()),
    sendPhoneInvite: Type.Optional(Type.Boolean()),
    workflow_id: Type.Optional(WorkflowId),
    workflowId: Type.Optional(WorkflowId),
    redirect_url: Type.Optional(UrlField),
    redirectUrl: Type.Optional(UrlField),
    state: Type.Optional(
      Text(512, { description: 'Echoed as `state` on the redirect (CSRF protection)' }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 50 }),
    ),
  },
  { additionalProperties: false },
)
type CreateBody = Static<typeof CreateBody>

const Link = Type.Object({
  rel: Type.String({ description: '`verification`: the page the applicant opens; `self`' }),
  href: Type.String(),
  expires_at: Type.Optional(Type.String()),
})

const InvitationView = Type.Object({
  id: Type.String(),
  channel: Type.Enum(['email', 'sms']),
  status: Type.Enum(['queued', 'sent', 'failed']),
  attempts: Type.Integer(),
  error: Nullable(Type.String({ description: 'Why the last attempt failed' })),
  sent_at: Nullable(Type.String()),
})

const Created = Type.Object({
  id: Type.String(),
  session_url: Type.String(),
  externalId: Type.Optional(Type.String()),
  links: Type.Array(Link),
  status: Type.String(),
  workflow_id: Nullable(Type.String()),
  expires_at: Type.String(),
  invitations: Type.Array(InvitationView),
})

const SessionView = Type.Object({
  id: Type.String(),
  status: Type.String({
    description:
      'pending, in_progress, processing, approved, rejected, review, expired, abandoned, failed',
  }),
  outcome: Nullable(
    Type.Object(
      {
        status: Type.Enum(['success', 'failed', 'abandoned']),
        reason: Type.Optional(Type.String()),
      },
      { description: 'How the session ended, as on the redirect; null while it is open' },
    ),
  ),
  session_url: Nullable(Type.String({ description: 'null once the link has expired' })),
  externalId: Type.Optional(Type.String()),
  workflow_id: Nullable(Type.String()),
  verification_type: Type.Enum([...VERIFICATION_TYPES]),
  min_age: Type.Integer(),
  applicant: Nullable(
    Type.Object(
      {
        first_name: Type.String(),
        last_name: Type.String(),
        email: Type.String(),
        phone: Type.String(),
      },
      { description: 'null once the personal data was deleted' },
    ),
  ),
  result: Nullable(PublicResult),
  token: Type.Optional(Type.String({ description: 'The age token (JWT) when approved' })),
  invitations: Type.Array(InvitationView),
  links: Type.Array(Link),
  created_at: Type.String(),
  expires_at: Type.String(),
  completed_at: Nullable(Type.String()),
})

const SessionList = Type.Object({
  data: Type.Array(SessionView),
  has_more: Type.Boolean(),
})

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const ListQuery = Type.Object(
  {
    external_id: Type.Optional(ExternalId),
    externalId: Type.Optional(ExternalId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    starting_after: Type.Optional(
      Type.String({ maxLength: 64, description: 'Last id of the previous page' }),
    ),
  },
  { additionalProperties: false },
)

/** One value given under either of a field's two names; both with different values is an error. */
function either<T>(
  body: CreateBody,
  snake: keyof CreateBody,
  camel: keyof CreateBody,
): T | undefined {
  const a = body[snake] as T | undefined
  const b = body[camel] as T | undefined
  if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) {
    throw new ApiError(
      'INVALID_REQUEST_BODY',
      `${snake} and ${camel} are the same field and were given different values`,
      { field: snake },
    )
  }
  return a ?? b
}

function required(value: string | undefined, field: string, alias: string | null): string {
  if (value === undefined) {
    throw new ApiError(
      'INVALID_REQUEST_BODY',
      `${field}${alias ? ` (or ${alias})` : ''} is required`,
      { field },
    )
  }
  return value
}

/** E.164 and a number that can exist (libphonenumber's metadata for its country). */
function checkPhone(phone: string): string {
  const problem = 'phone must be in E.164 format, e.g. +15192223333'
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) {
    throw new ApiError('INVALID_REQUEST_BODY', problem, { field: 'phone' })
  }
  const parsed = parsePhoneNumberFromString(phone)
  if (parsed === undefined || !parsed.isValid()) {
    throw new ApiError(
      'INVALID_REQUEST_BODY',
      `${problem}; ${phone.slice(0, 4)}… is not a valid number`,
      {
        field: 'phone',
      },
    )
  }
  return parsed.number
}

function invitationView(i: Invitation): Static<typeof InvitationView> {
  return {
    id: i.id,
    channel: i.channel,
    status: i.status,
    attempts: i.attempts,
    error: i.lastError,
    sent_at: i.sentAt,
  }
}

function links(deps: Deps, v: Verification): { url: string | null; links: Static<typeof Link>[] } {
  const self = { rel: 'self', href: `${deps.config.publicUrl}/v1/sessions/${v.id}` }
  const link = sessionLinkFor(deps, v)
  const usable = link.expiresAt.getTime() > deps.clock.now().getTime() && v.purgedAt === null
  if (!usable) return { url: null, links: [self] }
  return {
    url: link.url,
    links: [
      { rel: 'verification', href: link.url, expires_at: link.expiresAt.toISOString() },
      self,
    ],
  }
}

function sessionView(
  deps: Deps,
  v: Verification,
  invitations: Invitation[],
): Static<typeof SessionView> {
  const applicant = applicantOf(deps, v)
  const token = storedToken(deps, v)
  const { url, links: linkList } = links(deps, v)
  return {
    id: v.id,
    status: v.status,
    outcome: sessionOutcome(v),
    session_url: url,
    ...(v.externalId !== null && { externalId: v.externalId }),
    workflow_id: v.workflowId,
    verification_type: v.verificationType,
    min_age: v.minAge,
    applicant:
      applicant === null
        ? null
        : {
            first_name: applicant.firstName,
            last_name: applicant.lastName,
            email: applicant.email,
            phone: applicant.phone,
          },
    result: v.decision === null ? null : publicResult(v.decision),
    ...(token !== null && { token: token.token }),
    invitations: invitations.filter((i) => i.verificationId === v.id).map(invitationView),
    links: linkList,
    created_at: v.createdAt,
    expires_at: v.expiresAt,
    completed_at: v.completedAt,
  }
}

/** POST/GET/DELETE /v1/sessions, and /v1/workflows (one plugin: they share the error schema). */
export async function sessionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  await workflowRoutes(fastify)
  const errors = {
    400: { $ref: 'SessionError#' },
    401: { $ref: 'SessionError#' },
    402: { $ref: 'SessionError#' },
    404: { $ref: 'SessionError#' },
    429: { $ref: 'SessionError#' },
  } as const
  const config = { auth: 'tenant', surface: 'sessions' } as const
  const security = [{ apiKey: [] }]

  app.post(
    '/v1/sessions',
    {
      config,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Create an identity verification session for an applicant',
        description:
          'Send `x-api-key`. Every field is also accepted in camelCase. Invitations default to on for live keys and off for test keys. `redirect_url` must be https; the person is sent there with `session_id`, `status` (success | failed | abandoned), `reason` (not on success; new values may be added) and `state` when given. An `Idempotency-Key` header makes a retried create return the same session.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
        body: CreateBody,
        response: { 200: Created, ...errors },
      },
    },
    async (req) => {
      const b = req.body
      const firstName = required(either(b, 'first_name', 'firstName'), 'first_name', 'firstName')
      const lastName = required(either(b, 'last_name', 'lastName'), 'last_name', 'lastName')
      const email = required(b.email, 'email', null)
      const phone = checkPhone(required(b.phone, 'phone', null))
      const { verification, invitations } = await createSession(deps, tenantOf(req), req.apiKey!, {
        applicant: { firstName, lastName, email, phone },
        externalId: either(b, 'external_id', 'externalId'),
        sendEmailInvite: either(b, 'send_email_invite', 'sendEmailInvite'),
        sendPhoneInvite: either(b, 'send_phone_invite', 'sendPhoneInvite'),
        workflowId: either(b, 'workflow_id', 'workflowId'),
        redirectUrl: either(b, 'redirect_url', 'redirectUrl'),
        state: b.state,
        metadata: b.metadata,
        idempotencyKey: req.headers['idempotency-key'],
      })
      req.loomEvent = 'session.created'
      const { url, links: linkList } = links(deps, verification)
      return {
        id: verification.id,
        session_url: url ?? '',
        ...(verification.externalId !== null && { externalId: verification.externalId }),
        links: linkList,
        status: verification.status,
        workflow_id: verification.workflowId,
        expires_at: verification.expiresAt,
        invitations: invitations.map(invitationView),
      }
    },
  )

  app.get(
    '/v1/sessions/:id',
    {
      config,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'A session: status, outcome, applicant, invitations and result',
        params: IdParams,
        response: { 200: SessionView, ...errors },
      },
    },
    async (req) => {
      const v = await loadSession(deps, callerOf(req), req.params.id)
      return sessionView(deps, v, await invitationsOf(deps, v.tenantId, [v.id]))
    },
  )

  app.get(
    '/v1/sessions',
    {
      config,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Sessions, newest first, optionally by external id',
        querystring: ListQuery,
        response: { 200: SessionList, ...errors },
      },
    },
    async (req) => {
      const q = req.query
      const page = await listSessions(deps, callerOf(req), {
        externalId: q.external_id ?? q.externalId,
        startingAfter: q.starting_after,
        limit: q.limit ?? 20,
      })
      return {
        data: page.sessions.map((v) => sessionView(deps, v, page.invitations)),
        has_more: page.hasMore,
      }
    },
  )

  app.delete(
    '/v1/sessions/:id',
    {
      config,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Delete a session’s personal data (applicant, images, document data)',
        params: IdParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errors },
      },
    },
    async (req) => {
      const v = await loadSession(deps, callerOf(req), req.params.id)
      await purgeVerification(deps, v.tenantId, v.id, 'deleted')
      req.loomEvent = 'session.deleted'
      return { id: v.id, deleted: true }
    },
  )
}
