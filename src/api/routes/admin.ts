// The operator's API: tenants, keys, metrics, request log. Auth: x-admin-key.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { Nullable, Text } from '../schemas.ts'
import {
  CONTROLLER_CONTACT_URL_PATTERN,
  DEFAULT_PLAN,
  MAX_CONTROLLER_NAME_LENGTH,
  MAX_URL_LENGTH,
  PRIVACY_NOTICE_URL_PATTERN,
} from '../../domain/tenants.ts'
import { ApiKeyView, PlanSchema, TenantView, keyView, tenantView } from './tenant-view.ts'
import { tenantLogoRoutes } from './tenant-logo.ts'
import {
  addKey,
  addTenant,
  changeTenant,
  instanceFigures,
  keysOf,
  requestLogs,
  revokeKey,
  tenantById,
  tenantDetail,
  tenantsWithKeys,
} from '../../services/admin.ts'
import { UsageView } from './usage.ts'
import { currentMonth, usageFor } from '../../services/usage.ts'

const TenantSettings = {
  plan: Type.Optional(PlanSchema),
  isActive: Type.Optional(Type.Boolean()),
  rateLimitPerMinute: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }))),
  monthlyQuota: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 }))),
  hardLimit: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000_000 }))),
  allowOverage: Type.Optional(Type.Boolean()),
  tokenTtlSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 31_536_000 }))),
  dataTtlDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3650 }))),
  brandColor: Type.Optional(
    Nullable(
      Type.String({
        pattern: '^#[0-9a-fA-F]{6}$',
        description: 'Colour of the hosted page, as #rrggbb',
      }),
    ),
  ),
  privacyNoticeUrl: Type.Optional(
    Nullable(
      Type.String({
        maxLength: MAX_URL_LENGTH,
        pattern: PRIVACY_NOTICE_URL_PATTERN,
        format: 'uri',
        description:
          'The tenant’s privacy notice (https), linked from the hosted page next to the consent box; null: no link',
      }),
    ),
  ),
  controllerName: Type.Optional(
    Nullable(
      Text(MAX_CONTROLLER_NAME_LENGTH, {
        description:
          'Legal name of the data controller, which the hosted page says is responsible for the person’s data; null: the tenant’s name',
      }),
    ),
  ),
  controllerContactUrl: Type.Optional(
    Nullable(
      Type.String({
        maxLength: MAX_URL_LENGTH,
        pattern: CONTROLLER_CONTACT_URL_PATTERN,
        format: 'uri',
        description:
          'How to reach the controller (https or mailto:); the hosted page links the controller’s name to it; null: no link',
      }),
    ),
  ),
  submitAllowed: Type.Optional(
    Type.Boolean({
      description:
        'Whether the tenant may record its own outcomes with POST /verify/submit (tokens it mints say method: tenant_attested); default true',
    }),
  ),
}
const CreateTenantBody = Type.Object(
  { name: Text(200), ...TenantSettings },
  { additionalProperties: false },
)
const PatchTenantBody = Type.Object(
  { name: Type.Optional(Text(200)), ...TenantSettings },
  { additionalProperties: false, minProperties: 1 },
)

const TenantDetail = Type.Object({
  ...TenantView.properties,
  totalVerifications: Type.Integer(),
  lastVerifications: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      mode: Type.String(),
      verificationType: Type.String(),
      createdAt: Type.String(),
      completedAt: Nullable(Type.String()),
    }),
  ),
  usage: UsageView,
  apiKeys: Type.Array(ApiKeyView),
})

const CreatedTenant = Type.Object({
  ...TenantView.properties,
  apiKey: Type.String({ description: 'The live API key, shown only this once' }),
  apiKeyId: Type.String(),
})

const TenantParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const KeyParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  keyId: Type.String({ maxLength: 64 }),
})
const CreateKeyBody = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('test')])),
    name: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
)
const CreatedKey = Type.Object({
  ...ApiKeyView.properties,
  apiKey: Type.String({ description: 'The key, shown only this once' }),
})

const LogsQuery = Type.Object(
  {
    tenantId: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
)
const LogEntry = Type.Object({
  id: Type.String(),
  requestId: Type.String(),
  time: Type.String(),
  method: Type.String(),
  url: Type.String(),
  status: Type.Integer(),
  durationMs: Type.Number(),
  tenantId: Nullable(Type.String()),
  event: Nullable(Type.String()),
})

const Metrics = Type.Object({
  uptimeSeconds: Type.Integer(),
  dbStatus: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
  redisStatus: Type.Union([
    Type.Literal('connected'),
    Type.Literal('disconnected'),
    Type.Literal('not_configured'),
  ]),
  totalTenants: Type.Integer(),
  totalVerifications: Type.Integer(),
})

const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
} as const

/** Routes under /admin. */
export async function adminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const { clock } = deps
  const config = { auth: 'admin', surface: 'native' } as const
  const security = [{ adminKey: [] }]

  app.get(
    '/tenants',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'List tenants',
        response: { 200: Type.Array(TenantView), ...errors },
      },
    },
    async () => {
      return (await tenantsWithKeys(deps)).map(({ tenant, keys }) => tenantView(tenant, keys))
    },
  )

  app.post(
    '/tenants',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Create a tenant (returns its first live API key once)',
        body: CreateTenantBody,
        response: { 201: CreatedTenant, ...errors },
      },
    },
    async (req, reply) => {
      const { tenant, apiKey, key } = await addTenant(deps, {
        ...req.body,
        plan: req.body.plan ?? DEFAULT_PLAN,
      })
      req.loomEvent = 'tenant.created'
      return reply
        .status(201)
        .send({ ...tenantView(tenant, [apiKey]), apiKey: key, apiKeyId: apiKey.id })
    },
  )

  app.get(
    '/tenants/:id',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'A tenant with its keys, verification stats and this month’s usage',
        params: TenantParams,
        response: { 200: TenantDetail, ...errors },
      },
    },
    async (req) => {
      const tenant = await tenantById(deps, req.params.id)
      const month = currentMonth(clock.now())
      const { keys, total, last } = await tenantDetail(deps, tenant)
      return {
        ...tenantView(tenant, keys),
        totalVerifications: total,
        lastVerifications: last,
        usage: await usageFor(app.deps, tenant, month),
        apiKeys: keys.map(keyView),
      }
    },
  )

  app.patch(
    '/tenants/:id',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary:
          'Change a tenant (name, plan, active, limits, lifetimes, hosted page branding and privacy information)',
        params: TenantParams,
        body: PatchTenantBody,
        response: { 200: TenantView, ...errors },
      },
    },
    async (req) => {
      const { tenant, keys } = await changeTenant(deps, req.params.id, req.body)
      app.tenantAuth.invalidate()
      req.loomEvent = 'tenant.updated'
      return tenantView(tenant, keys)
    },
  )

  await fastify.register(tenantLogoRoutes)

  app.get(
    '/tenants/:id/keys',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'A tenant’s API keys',
        params: TenantParams,
        response: { 200: Type.Array(ApiKeyView), ...errors },
      },
    },
    async (req) => {
      const tenant = await tenantById(deps, req.params.id)
      return (await keysOf(deps, tenant.id)).map(keyView)
    },
  )

  app.post(
    '/tenants/:id/keys',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Create an API key (live or test); shown once',
        params: TenantParams,
        body: CreateKeyBody,
        response: { 201: CreatedKey, ...errors },
      },
    },
    async (req, reply) => {
      const tenant = await tenantById(deps, req.params.id)
      const { apiKey, key } = await addKey(
        deps,
        tenant.id,
        req.body.mode ?? 'live',
        req.body.name ?? null,
      )
      req.loomEvent = 'api_key.created'
      return reply.status(201).send({ ...keyView(apiKey), apiKey: key })
    },
  )

  app.delete(
    '/tenants/:id/keys/:keyId',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Revoke an API key (takes effect at once on this process, within 5 s on others)',
        params: KeyParams,
        response: { 200: ApiKeyView, ...errors },
      },
    },
    async (req) => {
      const tenant = await tenantById(deps, req.params.id)
      const key = await revokeKey(deps, tenant.id, req.params.keyId)
      app.tenantAuth.invalidate()
      req.loomEvent = 'api_key.revoked'
      return keyView(key)
    },
  )

  app.get(
    '/metrics',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Instance metrics',
        response: { 200: Metrics, ...errors },
      },
    },
    async () => {
      const { databaseUp, totalTenants, totalVerifications } = await instanceFigures(deps)
      return {
        uptimeSeconds: Math.floor((Date.now() - deps.startedAt.getTime()) / 1000),
        dbStatus: databaseUp ? ('connected' as const) : ('disconnected' as const),
        redisStatus: deps.redisStatus(),
        totalTenants,
        totalVerifications,
      }
    },
  )

  app.get(
    '/logs',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Recent requests, newest first (URLs with secrets removed)',
        querystring: LogsQuery,
        response: { 200: Type.Object({ logs: Type.Array(LogEntry) }), ...errors },
      },
    },
    async (req) => {
      const { tenantId, status, since, limit } = req.query
      await fastify.requestLog.flush()
      const logs = await requestLogs(deps, {
        limit: limit ?? 100,
        ...(tenantId !== undefined && { tenantId }),
        ...(status !== undefined && { status }),
        ...(since !== undefined && { since: new Date(since).toISOString() }),
      })
      return { logs }
    },
  )
}
