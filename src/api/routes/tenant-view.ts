// How the admin API shows a tenant and its API keys (the tenant routes and the logo routes).
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Nullable } from '../schemas.ts'
import { PLANS, effectiveLimits, logoPathOf } from '../../domain/tenants.ts'
import type { ApiKey, Tenant } from '../../domain/tenants.ts'

export const PlanSchema = Type.Enum(PLANS)

export const ApiKeyView = Type.Object({
  id: Type.String(),
  mode: Type.Union([Type.Literal('live'), Type.Literal('test')]),
  prefix: Type.String({ description: 'First characters of the key, to recognise it' }),
  name: Nullable(Type.String()),
  createdAt: Type.String(),
  lastUsedAt: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
})

export const Billing = Type.Object({
  plan: PlanSchema,
  rateLimitPerMinute: Type.Integer(),
  monthlyQuota: Type.Integer(),
  hardLimit: Nullable(Type.Integer()),
  allowOverage: Type.Boolean(),
})

export const TenantView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  isActive: Type.Boolean(),
  plan: PlanSchema,
  apiKey: Nullable(
    Type.String({ description: 'Prefix of the newest active key (full keys are shown only once)' }),
  ),
  rateLimitPerMinute: Nullable(Type.Integer({ description: "Tenant's override; null = plan's" })),
  monthlyQuota: Nullable(Type.Integer()),
  hardLimit: Nullable(Type.Integer()),
  allowOverage: Type.Boolean(),
  tokenTtlSeconds: Nullable(Type.Integer()),
  dataTtlDays: Nullable(Type.Integer()),
  brandColor: Nullable(Type.String()),
  privacyNoticeUrl: Nullable(Type.String()),
  controllerName: Nullable(Type.String()),
  controllerContactUrl: Nullable(Type.String()),
  logoUrl: Nullable(
    Type.String({
      description:
        'Path of the logo the hosted page shows (PNG, served with a year-long cache; the name changes with the image); null: no logo',
    }),
  ),
  submitAllowed: Type.Boolean(),
  defaultWorkflowId: Nullable(Type.String()),
  billing: Billing,
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export function tenantView(tenant: Tenant, keys: ApiKey[]): Static<typeof TenantView> {
  const limits = effectiveLimits(tenant)
  const newestActive = keys.find((k) => k.revokedAt === null && k.mode === 'live') ?? null
  return {
    id: tenant.id,
    name: tenant.name,
    isActive: tenant.isActive,
    plan: tenant.plan,
    apiKey: newestActive ? `${newestActive.prefix}…` : null,
    rateLimitPerMinute: tenant.rateLimitPerMinute,
    monthlyQuota: tenant.monthlyQuota,
    hardLimit: tenant.hardLimit,
    allowOverage: tenant.allowOverage,
    tokenTtlSeconds: tenant.tokenTtlSeconds,
    dataTtlDays: tenant.dataTtlDays,
    brandColor: tenant.brandColor,
    privacyNoticeUrl: tenant.privacyNoticeUrl,
    controllerName: tenant.controllerName,
    controllerContactUrl: tenant.controllerContactUrl,
    logoUrl: logoPathOf(tenant),
    submitAllowed: tenant.submitAllowed,
    defaultWorkflowId: tenant.defaultWorkflowId,
    billing: { plan: tenant.plan, ...limits },
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
  }
}

export function keyView(key: ApiKey): Static<typeof ApiKeyView> {
  return {
    id: key.id,
    mode: key.mode,
    prefix: key.prefix,
    name: key.name,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
  }
}
