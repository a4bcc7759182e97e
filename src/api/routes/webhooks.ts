// Tenant webhook routes: endpoints (CRUD, secret rotation), the default secret that signs
// callback_url deliveries, and the delivery log with "send again".
import { callerOf, tenantOf } from '../auth.ts'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { typed } from '../typed.ts'
import { IsoTime, Nullable, Text, WebhookEvent } from '../schemas.ts'
import { WEBHOOK_EVENT_TYPES } from '../../jobs/webhook-payload.ts'
import {
  DELIVERY_STATUSES,
  changeEndpoint,
  createEndpoint,
  deliveriesOf,
  deliveryWithAttempts,
  endpointOf,
  endpointsOf,
  removeEndpoint,
  retryDelivery,
  rotateEndpoint,
  rotateTenantSecret,
  tenantSecret,
  testEndpoint,
} from '../../services/webhooks.ts'
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../../services/webhooks.ts'

const EventType = Type.Enum(WEBHOOK_EVENT_TYPES)
const Events = Type.Array(Type.Union([EventType, Type.Literal('*')]), {
  minItems: 1,
  maxItems: 20,
  uniqueItems: true,
  description: 'Event types to receive; ["*"] (the default) for every event',
})
const Url = Type.String({ minLength: 1, maxLength: 2048 })

const CreateBody = Type.Object(
  {
    url: Url,
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Nullable(Text(500))),
  },
  { additionalProperties: false },
)
const PatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
    description: Type.Optional(Nullable(Text(500))),
  },
  { additionalProperties: false, minProperties: 1 },
)

const EndpointView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  description: Nullable(Type.String()),
  disabledReason: Nullable(Type.String()),
  previousSecretExpiresAt: Nullable(IsoTime),
  createdAt: IsoTime,
  updatedAt: IsoTime,
})
const EndpointWithSecret = Type.Object({
  ...EndpointView.properties,
  secret: Type.String({ description: 'Signing secret (whsec_…); shown only here' }),
})
const SecretView = Type.Object({
  secret: Type.String({ description: 'whsec_…: signs deliveries to callback_url' }),
  previousSecretExpiresAt: Nullable(IsoTime),
  createdAt: IsoTime,
  updatedAt: IsoTime,
})
const DeliveryView = Type.Object({
  id: Type.String({ description: 'Also the webhook-id header: the same on every attempt' }),
  eventId: Type.String(),
  eventType: Type.String(),
  verificationId: Type.String(),
  endpointId: Nullable(Type.String()),
  target: Type.Union([Type.Literal('endpoint'), Type.Literal('callback')]),
  url: Type.String(),
  status: Type.Enum(DELIVERY_STATUSES),
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Nullable(IsoTime),
  nextAttemptAt: Nullable(IsoTime),
  deliveredAt: Nullable(IsoTime),
  createdAt: IsoTime,
})
const AttemptView = Type.Object({
  attempt: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  durationMs: Type.Number(),
  responseExcerpt: Nullable(Type.String({ description: 'First 1 KB of the answer' })),
  error: Nullable(Type.String()),
  createdAt: IsoTime,
})
const DeliveryDetail = Type.Object({
  ...DeliveryView.properties,
  attemptLog: Type.Array(AttemptView),
})
const TestBody = Type.Object(
  {
    type: Type.Optional(
      Type.Enum(WEBHOOK_EVENT_TYPES, { description: 'Default verification.completed' }),
    ),
  },
  { additionalProperties: false },
)
const TestReply = Type.Object({
  delivered: Type.Boolean({ description: 'The receiver answered 2xx' }),
  url: Type.String(),
  statusCode: Nullable(Type.Integer({ description: 'null when no answer came' })),
  durationMs: Type.Number(),
  responseExcerpt: Nullable(Type.String({ description: 'First 1 KB of the answer' })),
  error: Nullable(Type.String()),
  event: WebhookEvent,
})
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

function endpointView(e: WebhookEndpoint, now: Date): Static<typeof EndpointView> {
  return {
    id: e.id,
    url: e.url,
    events: e.eventTypes ?? ['*'],
    enabled: e.enabled,
    description: e.description,
    disabledReason: e.disabledReason,
    previousSecretExpiresAt:
      e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > now.toISOString()
        ? e.previousSecretExpiresAt
        : null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  }
}

function deliveryView(d: WebhookDelivery): Static<typeof DeliveryView> {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    verificationId: d.verificationId,
    endpointId: d.endpointId,
    target: d.target,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
  }
}

function attemptView(a: WebhookAttempt): Static<typeof AttemptView> {
  return {
    attempt: a.attempt,
    statusCode: a.statusCode,
    durationMs: a.durationMs,
    responseExcerpt: a.responseExcerpt,
    error: a.error,
    createdAt: a.createdAt,
  }
}

/** Tenant routes under /webhooks. */
export async function webhookRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const config = { auth: 'tenant', surface: 'native' } as const
  const security: { [name: string]: string[] }[] = [{ tenantKey: [] }, { bearer: [] }]
  const tags = ['webhooks']

  app.post(
    '/webhooks/endpoints',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Add a webhook endpoint (at most 20 per tenant)',
        description:
          'The signing secret is in this answer only (rotate it to get a new one). Loom signs per Standard Webhooks.',
        body: CreateBody,
        response: { 201: EndpointWithSecret, ...errors },
      },
    },
    async (req, reply) => {
      const { endpoint, secret } = await createEndpoint(deps, tenantOf(req).id, req.body)
      req.loomEvent = 'webhook_endpoint.created'
      return reply.status(201).send({ ...endpointView(endpoint, deps.clock.now()), secret })
    },
  )

  app.get(
    '/webhooks/endpoints',
    {
      config,
      schema: {
        tags,
        security,
        summary: "The tenant's webhook endpoints",
        response: { 200: Type.Object({ data: Type.Array(EndpointView) }), ...errors },
      },
    },
    async (req) => ({
      data: (await endpointsOf(deps, tenantOf(req).id)).map((e) =>
        endpointView(e, deps.clock.now()),
      ),
    }),
  )

  app.get(
    '/webhooks/endpoints/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'One webhook endpoint',
        params: IdParams,
        response: { 200: EndpointView, ...errors },
      },
    },
    async (req) =>
      endpointView(await endpointOf(deps, tenantOf(req).id, req.params.id), deps.clock.now()),
  )

  app.patch(
    '/webhooks/endpoints/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Change a webhook endpoint (re-enabling clears its disabled reason)',
        params: IdParams,
        body: PatchBody,
        response: { 200: EndpointView, ...errors },
      },
    },
    async (req) => {
      const updated = await changeEndpoint(deps, tenantOf(req).id, req.params.id, req.body)
      req.loomEvent = 'webhook_endpoint.updated'
      return endpointView(updated, deps.clock.now())
    },
  )

  app.delete(
    '/webhooks/endpoints/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Remove a webhook endpoint (its pending deliveries are cancelled)',
        params: IdParams,
        response: {
          200: Type.Object({ id: Type.String(), deleted: Type.Literal(true) }),
          ...errors,
        },
      },
    },
    async (req) => {
      await removeEndpoint(deps, tenantOf(req).id, req.params.id)
      req.loomEvent = 'webhook_endpoint.deleted'
      return { id: req.params.id, deleted: true as const }
    },
  )

  app.post(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Replace the signing secret; the old one keeps signing during the grace period',
        description:
          'Until previousSecretExpiresAt, each delivery carries two signatures in webhook-signature (new and old), so receivers can switch without losing a delivery.',
        params: IdParams,
        response: { 200: EndpointWithSecret, ...errors },
      },
    },
    async (req) => {
      const rotated = await rotateEndpoint(deps, tenantOf(req).id, req.params.id)
      req.loomEvent = 'webhook_endpoint.secret_rotated'
      return { ...endpointView(rotated.endpoint, deps.clock.now()), secret: rotated.secret }
    },
  )

  app.post(
    '/webhooks/endpoints/:id/test',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Send an example event to the endpoint now and see how it answered',
        description:
          'Signed with the endpoint’s secret like every delivery, sent once (no retries), not in the delivery log. The event is an example in the usual envelope, `mode: "test"` and `data.test: true`; it sends even to a disabled endpoint, so you can check a fix before re-enabling it. 200 whatever the receiver answered: `delivered` says whether it took it.',
        params: IdParams,
        body: Type.Optional(TestBody),
        response: { 200: TestReply, ...errors },
      },
    },
    async (req) => {
      const type = req.body?.type ?? 'verification.completed'
      const sent = await testEndpoint(deps, tenantOf(req).id, req.params.id, type)
      req.loomEvent = 'webhook_endpoint.tested'
      const { statusCode } = sent.outcome
      return {
        delivered: statusCode !== null && statusCode >= 200 && statusCode < 300,
        url: sent.url,
        statusCode,
        durationMs: sent.outcome.durationMs,
        responseExcerpt: sent.outcome.responseExcerpt,
        error: sent.outcome.error,
        event: sent.event,
      }
    },
  )

  app.get(
    '/webhooks/secret',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The secret that signs deliveries to verifications’ callback_url',
        description: 'Created on first use. Endpoints have their own secrets.',
        response: { 200: SecretView, ...errors },
      },
    },
    async (req) => tenantSecret(deps, tenantOf(req).id),
  )

  app.post(
    '/webhooks/secret/rotate',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Rotate the callback_url signing secret (old one valid during the grace period)',
        response: { 200: SecretView, ...errors },
      },
    },
    async (req) => {
      req.loomEvent = 'webhook_secret.rotated'
      return rotateTenantSecret(deps, tenantOf(req).id)
    },
  )

  app.get(
    '/webhooks/deliveries',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Webhook deliveries, newest first',
        querystring: Type.Object(
          {
            endpointId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            verificationId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            status: Type.Optional(Type.Enum(DELIVERY_STATUSES)),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(DeliveryView) }), ...errors },
      },
    },
    async (req) => {
      const q = req.query
      const deliveries = await deliveriesOf(deps, callerOf(req), {
        endpointId: q.endpointId,
        verificationId: q.verificationId,
        status: q.status,
        limit: q.limit ?? 50,
      })
      return { data: deliveries.map(deliveryView) }
    },
  )

  app.get(
    '/webhooks/deliveries/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'One delivery with every attempt (status, duration, first 1 KB of the answer)',
        params: IdParams,
        response: { 200: DeliveryDetail, ...errors },
      },
    },
    async (req) => {
      const { delivery, attempts } = await deliveryWithAttempts(deps, callerOf(req), req.params.id)
      return { ...deliveryView(delivery), attemptLog: attempts.map(attemptView) }
    },
  )

  app.post(
    '/webhooks/deliveries/:id/retry',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Send a delivery again (same webhook-id), now',
        params: IdParams,
        response: { 202: DeliveryView, ...errors },
      },
    },
    async (req, reply) => {
      const delivery = await retryDelivery(deps, callerOf(req), req.params.id)
      req.loomEvent = 'webhook_delivery.retried'
      return reply.status(202).send(deliveryView(delivery))
    },
  )
}
