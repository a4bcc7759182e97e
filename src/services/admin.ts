// What the operator does under /admin: tenants and their API keys, instance figures, the
// request log, and the job queue's dead letters.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import { isId } from '../domain/ids.ts'
import type { ApiKey, KeyMode, Tenant } from '../domain/tenants.ts'
import { countJobsByState, getJob, listJobs, retryDeadJob } from '../store/jobs.ts'
import type { Job, JobState } from '../store/jobs.ts'
import { queryRequestLogs } from '../store/request-logs.ts'
import type { RequestLogEntry, RequestLogFilter } from '../store/request-logs.ts'
import {
  createApiKey,
  createTenant,
  getTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  updateTenant,
} from '../store/tenants.ts'
import type { TenantInput, TenantPatch } from '../store/tenants.ts'
import { instanceCounts, tenantVerificationStats } from '../store/verification-stats.ts'
import type { VerificationSummary } from '../store/verification-stats.ts'

export { JOB_STATES } from '../store/jobs.ts'
export type { Job } from '../store/jobs.ts'
export type { TenantInput, TenantPatch } from '../store/tenants.ts'

// ---- tenants and keys --------------------------------------------------------------------

/** A tenant, or a 404. */
export async function tenantById(deps: Deps, id: string): Promise<Tenant> {
  const tenant = isId('ten', id) ? await getTenant(deps.store.db, id) : null
  if (tenant === null) throw new DomainError('TENANT_NOT_FOUND', `No tenant ${id}`)
  return tenant
}

/** Every tenant with its API keys. */
export async function tenantsWithKeys(deps: Deps): Promise<{ tenant: Tenant; keys: ApiKey[] }[]> {
  const { store } = deps
  const tenants = await listTenants(store.db)
  return Promise.all(
    tenants.map(async (t) => ({ tenant: t, keys: await listApiKeys(store.db, t.id) })),
  )
}

/** Creates a tenant with its first live API key, returned in clear this once. */
export async function addTenant(
  deps: Deps,
  input: TenantInput,
): Promise<{ tenant: Tenant; apiKey: ApiKey; key: string }> {
  return createTenant(deps.store.db, input, deps.clock.now())
}

/** A tenant's keys, verification count and newest verifications. */
export async function tenantDetail(
  deps: Deps,
  tenant: Tenant,
): Promise<{ keys: ApiKey[]; total: number; last: VerificationSummary[] }> {
  const [keys, stats] = await Promise.all([
    listApiKeys(deps.store.db, tenant.id),
    tenantVerificationStats(deps.store.db, tenant.id),
  ])
  return { keys, total: stats.total, last: stats.last }
}

/** Changes a tenant; returns it with its keys, or a 404. */
export async function changeTenant(
  deps: Deps,
  id: string,
  patch: TenantPatch,
): Promise<{ tenant: Tenant; keys: ApiKey[] }> {
  await tenantById(deps, id)
  const tenant = await updateTenant(deps.store.db, id, patch, deps.clock.now())
  if (tenant === null) throw new DomainError('TENANT_NOT_FOUND', `No tenant ${id}`)
  return { tenant, keys: await listApiKeys(deps.store.db, tenant.id) }
}

/** A tenant's API keys, newest first. */
export async function keysOf(deps: Deps, tenantId: string): Promise<ApiKey[]> {
  return listApiKeys(deps.store.db, tenantId)
}

/** Creates an API key, returned in clear this once. */
export async function addKey(
  deps: Deps,
  tenantId: string,
  mode: KeyMode,
  name: string | null,
): Promise<{ apiKey: ApiKey; key: string }> {
  return createApiKey(deps.store.db, tenantId, mode, name, deps.clock.now())
}

/** Revokes one of a tenant's API keys, or a 404. */
export async function revokeKey(deps: Deps, tenantId: string, keyId: string): Promise<ApiKey> {
  const key = isId('key', keyId)
    ? await revokeApiKey(deps.store.db, tenantId, keyId, deps.clock.now())
    : null
  if (key === null) throw new DomainError('API_KEY_NOT_FOUND', `No key ${keyId} for this tenant`)
  return key
}

// ---- instance ----------------------------------------------------------------------------

/** Whether the database answers, and the instance's tenant and verification counts (0 if not). */
export async function instanceFigures(deps: Deps): Promise<{
  databaseUp: boolean
  totalTenants: number
  totalVerifications: number
}> {
  const ping = await deps.store.ping()
  const counts = ping
    ? await instanceCounts(deps.store.db)
    : { totalTenants: 0, totalVerifications: 0 }
  return { databaseUp: ping, ...counts }
}

/** Requests answered, newest first (URLs with secrets already removed). */
export async function requestLogs(
  deps: Deps,
  filter: RequestLogFilter,
): Promise<RequestLogEntry[]> {
  return queryRequestLogs(deps.store.db, filter)
}

// ---- jobs --------------------------------------------------------------------------------

/** A job, or a 404. */
export async function jobById(deps: Deps, id: string): Promise<Job> {
  const job = isId('job', id) ? await getJob(deps.store.db, id) : null
  if (job === null) throw new DomainError('JOB_NOT_FOUND', `No job ${id}`)
  return job
}

/** Jobs newest first, and how many the whole queue holds in each state. */
export async function jobsPage(
  deps: Deps,
  filter: { state?: JobState | undefined; type?: string | undefined; limit: number },
): Promise<{ counts: Record<JobState, number>; jobs: Job[] }> {
  const [counts, jobs] = await Promise.all([
    countJobsByState(deps.store.db),
    listJobs(deps.store.db, filter),
  ])
  return { counts, jobs }
}

/** Puts a dead job back in the queue with a fresh set of attempts; 404 or 409 otherwise. */
export async function retryJob(deps: Deps, id: string): Promise<Job> {
  const job = await jobById(deps, id)
  const retried = await retryDeadJob(deps.store.db, job.id, deps.clock.now())
  if (retried === null) {
    throw new DomainError(
      'JOB_NOT_DEAD',
      `Job ${job.id} is ${job.state}; only dead jobs can be retried`,
    )
  }
  return retried
}
