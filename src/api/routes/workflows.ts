// The sessions API's workflows at /v1/workflows: a tenant's reusable verification settings. A session
// freezes its workflow's settings when it is created, so edits and deletions never change a
// session already sent to someone.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { Nullable, Text } from '../schemas.ts'
import { VERIFICATION_TYPES, parseTimeToLive } from '../../domain/verification.ts'
import { DEFAULT_AGE_BUFFER, DOCUMENT_TYPES, MAX_AGE_BUFFER } from '../../domain/workflows.ts'
import type { InvitationTexts, Workflow } from '../../domain/workflows.ts'
import { invitationTextProblem } from '../../domain/invitations.ts'
import { END_REASONS } from '../../domain/outcome.ts'
import { DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, RETRYABLE_REASONS } from '../../domain/retry.ts'
import type { RetryPolicy } from '../../domain/retry.ts'
import { isMrzCountryCode } from '../../engine/mrz/countries.ts'
import {
  changeWorkflow,
  createWorkflow,
  defaultWorkflowId,
  markDefault,
  removeWorkflow,
  workflowOf,
  workflowsOf,
} from '../../services/workflows.ts'
import type { WorkflowFields } from '../../services/workflows.ts'
import { tenantOf } from '../auth.ts'

const Invitation = Type.Object(
  {
    email_subject: Type.Optional(Nullable(Text(200))),
    email_body: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 5000 }))),
    sms_body: Type.Optional(Nullable(Text(480))),
  },
  {
    additionalProperties: false,
    description:
      'Texts of the invitations; placeholders {{link}} (required in bodies), {{first_name}}, {{tenant}}, {{expires}}. null: Loom’s default text',
  },
)

const Fields = {
  verification_type: Type.Optional(Type.Enum([...VERIFICATION_TYPES])),
  min_age: Type.Optional(Type.Integer({ minimum: 13, maximum: 25 })),
  age_buffer: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_AGE_BUFFER,
      description: `age_estimation approves only when the estimate is at least min_age + age_buffer (default ${DEFAULT_AGE_BUFFER}: the buffer at which at most 1 % of under-18 faces passed on labelled photos)`,
    }),
  ),
  accepted_document_types: Type.Optional(
    Nullable(Type.Array(Type.Enum([...DOCUMENT_TYPES]), { minItems: 1, uniqueItems: true })),
  ),
  accepted_countries: Type.Optional(
    Nullable(
      Type.Array(Type.String({ pattern: '^[A-Z]{1,3}$' }), {
        minItems: 1,
        maxItems: 300,
        uniqueItems: true,
        description: 'Issuing countries as ICAO/ISO 3166 alpha-3 codes (D for Germany)',
      }),
    ),
  ),
  require_selfie: Type.Optional(Type.Boolean()),
  time_to_live: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
  invitation: Type.Optional(Invitation),
  retry_policy: Type.Optional(
    Type.Object(
      {
        max_attempts: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: MAX_ATTEMPTS_LIMIT,
            description: `Attempts in all on the hosted page, the first included (default ${DEFAULT_RETRY_POLICY.maxAttempts}; 1: none again)`,
          }),
        ),
        retry_on: Type.Optional(
          Type.Array(Type.Enum([...RETRYABLE_REASONS]), {
            uniqueItems: true,
            description: 'Rejections that allow a new attempt (default: all three)',
          }),
        ),
        exhausted_reason: Type.Optional(
          Nullable(
            Type.Enum([...END_REASONS], {
              description:
                'The redirect reason when attempts run out; null: the last rejection’s own',
            }),
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  is_default: Type.Optional(
    Type.Boolean({ description: 'Sessions created without workflow_id use this workflow' }),
  ),
}

const CreateBody = Type.Object({ name: Text(200), ...Fields }, { additionalProperties: false })
const PatchBody = Type.Object(
  { name: Type.Optional(Text(200)), ...Fields },
  { additionalProperties: false, minProperties: 1 },
)
type PatchBody = Static<typeof PatchBody>

const WorkflowView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  verification_type: Type.Enum([...VERIFICATION_TYPES]),
  min_age: Type.Integer(),
  age_buffer: Type.Integer(),
  accepted_document_types: Nullable(Type.Array(Type.String())),
  accepted_countries: Nullable(Type.Array(Type.String())),
  require_selfie: Type.Boolean(),
  time_to_live: Nullable(Type.String()),
  invitation: Type.Object({
    email_subject: Nullable(Type.String()),
    email_body: Nullable(Type.String()),
    sms_body: Nullable(Type.String()),
  }),
  retry_policy: Type.Object({
    max_attempts: Type.Integer(),
    retry_on: Type.Array(Type.String()),
    exhausted_reason: Nullable(Type.String()),
  }),
  is_default: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
})

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

function view(w: Workflow, defaultId: string | null): Static<typeof WorkflowView> {
  return {
    id: w.id,
    name: w.name,
    verification_type: w.verificationType,
    min_age: w.minAge,
    age_buffer: w.ageBuffer,
    accepted_document_types: w.acceptedDocumentTypes,
    accepted_countries: w.acceptedCountries,
    require_selfie: w.requireSelfie,
    time_to_live: w.timeToLive,
    invitation: {
      email_subject: w.invitation.emailSubject,
      email_body: w.invitation.emailBody,
      sms_body: w.invitation.smsBody,
    },
    retry_policy: {
      max_attempts: w.retryPolicy.maxAttempts,
      retry_on: w.retryPolicy.retryOn,
      exhausted_reason: w.retryPolicy.exhaustedReason,
    },
    is_default: w.id === defaultId,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  }
}

/** Checks what the schema cannot and turns the body into stored fields. */
function fieldsOf(
  body: PatchBody,
  current: InvitationTexts | null,
  currentRetry: RetryPolicy = DEFAULT_RETRY_POLICY,
): Partial<WorkflowFields> {
  const problem = (field: string, message: string) =>
    new ApiError('INVALID_REQUEST_BODY', `${field} ${message}`, { field })
  if (body.time_to_live != null && parseTimeToLive(body.time_to_live) === null) {
    throw problem(
      'time_to_live',
      'must be a duration like "90d", "12h" or "30m", from 10 minutes to 3650 days',
    )
  }
  const unknownCountry = body.accepted_countries?.find((c) => !isMrzCountryCode(c))
  if (unknownCountry !== undefined) {
    throw problem(
      'accepted_countries',
      `has "${unknownCountry}", which is not an ICAO country code`,
    )
  }
  let invitation: InvitationTexts | undefined
  if (body.invitation !== undefined) {
    const i = body.invitation
    const texts: [string, string | null | undefined, boolean][] = [
      ['invitation.email_subject', i.email_subject, false],
      ['invitation.email_body', i.email_body, true],
      ['invitation.sms_body', i.sms_body, true],
    ]
    for (const [field, text, needsLink] of texts) {
      const wrong = text == null ? null : invitationTextProblem(text, needsLink)
      if (wrong !== null) throw problem(field, wrong)
    }
    const base = current ?? { emailSubject: null, emailBody: null, smsBody: null }
    invitation = {
      emailSubject: i.email_subject === undefined ? base.emailSubject : i.email_subject,
      emailBody: i.email_body === undefined ? base.emailBody : i.email_body,
      smsBody: i.sms_body === undefined ? base.smsBody : i.sms_body,
    }
  }
  return {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.verification_type !== undefined && {
      verificationType: body.verification_type,
    }),
    ...(body.min_age !== undefined && { minAge: body.min_age }),
    ...(body.age_buffer !== undefined && { ageBuffer: body.age_buffer }),
    ...(body.accepted_document_types !== undefined && {
      acceptedDocumentTypes: body.accepted_document_types,
    }),
    ...(body.accepted_countries !== undefined && { acceptedCountries: body.accepted_countries }),
    ...(body.require_selfie !== undefined && { requireSelfie: body.require_selfie }),
    ...(body.time_to_live !== undefined && { timeToLive: body.time_to_live }),
    ...(invitation !== undefined && { invitation }),
    ...(body.retry_policy !== undefined && {
      retryPolicy: {
        maxAttempts: body.retry_policy.max_attempts ?? currentRetry.maxAttempts,
        retryOn: body.retry_policy.retry_on ?? currentRetry.retryOn,
        exhaustedReason:
          body.retry_policy.exhausted_reason === undefined
            ? currentRetry.exhaustedReason
            : body.retry_policy.exhausted_reason,
      },
    }),
  }
}

/** /v1/workflows: create, list, read, change, delete. */
export async function workflowRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const errors = {
    400: { $ref: 'SessionError#' },
    401: { $ref: 'SessionError#' },
    404: { $ref: 'SessionError#' },
    429: { $ref: 'SessionError#' },
  } as const
  const config = { auth: 'tenant', surface: 'sessions' } as const
  const security = [{ apiKey: [] }]

  const defaultOf = (tenantId: string) => defaultWorkflowId(deps, tenantId)
  const changedDefault = async (tenantId: string, id: string, isDefault: boolean | undefined) => {
    await markDefault(deps, tenantId, id, isDefault)
    // The tenant record (its default workflow) is cached with the API key lookup.
    if (isDefault !== undefined) app.tenantAuth.invalidate()
  }

  app.post(
    '/v1/workflows',
    {
      config,
      schema: {
        tags: ['workflows'],
        security,
        summary: 'Create a workflow',
        body: CreateBody,
        response: { 201: WorkflowView, ...errors },
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req).id
      const workflow = await createWorkflow(deps, tenantId, req.body.name, fieldsOf(req.body, null))
      await changedDefault(tenantId, workflow.id, req.body.is_default)
      req.loomEvent = 'workflow.created'
      return reply.status(201).send(view(workflow, await defaultOf(tenantId)))
    },
  )

  app.get(
    '/v1/workflows',
    {
      config,
      schema: {
        tags: ['workflows'],
        security,
        summary: 'Every workflow of the tenant, oldest first',
        response: { 200: Type.Object({ data: Type.Array(WorkflowView) }), ...errors },
      },
    },
    async (req) => {
      const { workflows, defaultId } = await workflowsOf(deps, tenantOf(req).id)
      return { data: workflows.map((w) => view(w, defaultId)) }
    },
  )

  app.get(
    '/v1/workflows/:id',
    {
      config,
      schema: {
        tags: ['workflows'],
        security,
        summary: 'A workflow',
        params: IdParams,
        response: { 200: WorkflowView, ...errors },
      },
    },
    async (req) => {
      const tenantId = tenantOf(req).id
      return view(await workflowOf(deps, tenantId, req.params.id), await defaultOf(tenantId))
    },
  )

  app.patch(
    '/v1/workflows/:id',
    {
      config,
      schema: {
        tags: ['workflows'],
        security,
        summary: 'Change a workflow (sessions already created keep their settings)',
        params: IdParams,
        body: PatchBody,
        response: { 200: WorkflowView, ...errors },
      },
    },
    async (req) => {
      const tenantId = tenantOf(req).id
      const current = await workflowOf(deps, tenantId, req.params.id)
      const fields = fieldsOf(req.body, current.invitation, current.retryPolicy)
      const updated = await changeWorkflow(deps, tenantId, current, fields)
      await changedDefault(tenantId, updated.id, req.body.is_default)
      req.loomEvent = 'workflow.updated'
      return view(updated, await defaultOf(tenantId))
    },
  )

  app.delete(
    '/v1/workflows/:id',
    {
      config,
      schema: {
        tags: ['workflows'],
        security,
        summary: 'Delete a workflow (sessions already created keep their settings)',
        params: IdParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errors },
      },
    },
    async (req) => {
      await removeWorkflow(deps, tenantOf(req).id, req.params.id)
      app.tenantAuth.invalidate()
      req.loomEvent = 'workflow.deleted'
      return { id: req.params.id, deleted: true }
    },
  )
}
