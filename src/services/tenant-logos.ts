// Tenants' logos: the engine pool decodes and re-encodes the upload (never the event loop), the
// store keeps the PNG, and the hosted page loads it by its hash.
import { createHash } from 'node:crypto'
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { Tenant } from '../domain/tenants.ts'
import type { EngineError } from '../engine/types.ts'
import { deleteTenantLogo, putTenantLogo, tenantLogoPng } from '../store/tenant-logos.ts'
import { tenantById } from './admin.ts'

export { MAX_LOGO_BYTES } from '../engine/logo.ts'

/** The refusal for a logo the engine would not take: the sender's fault, or busy engine threads. */
function logoRefusal(error: EngineError): DomainError {
  if (error.code === 'DOCUMENT_TOO_LARGE')
    return new DomainError('PAYLOAD_TOO_LARGE', error.message)
  if (error.code === 'ENGINE_TIMEOUT' || error.code === 'ENGINE_ERROR') {
    return new DomainError(
      'SERVICE_UNAVAILABLE',
      'The logo could not be processed right now; retry in a few seconds',
    )
  }
  // Not an image, a damaged one, or a format the engine does not take.
  return new DomainError('INVALID_REQUEST_BODY', error.message)
}

/** Replaces a tenant's logo with `bytes` (PNG, JPEG or WebP) re-encoded; 404 or 4xx otherwise. */
export async function setTenantLogo(
  deps: Deps,
  tenantId: string,
  bytes: Uint8Array,
): Promise<Tenant> {
  const tenant = await tenantById(deps, tenantId)
  const result = await deps.engine.reencodeLogo(bytes, deps.config.engineBudgetMs)
  if (!result.ok) {
    if (result.error.code === 'ENGINE_ERROR') {
      deps.logger.error(
        { tenantId: tenant.id, message: result.error.message },
        'logo re-encoding failed',
      )
    }
    throw logoRefusal(result.error)
  }
  const png = Buffer.from(result.png)
  const hash = createHash('sha256').update(png).digest('hex')
  const changed = await putTenantLogo(
    deps.store.db,
    tenant.id,
    { hash, png, width: result.width, height: result.height },
    deps.clock.now(),
  )
  return changed ?? tenantById(deps, tenant.id)
}

/** Removes a tenant's logo (none is fine); 404 for an unknown tenant. */
export async function removeTenantLogo(deps: Deps, tenantId: string): Promise<Tenant> {
  const tenant = await tenantById(deps, tenantId)
  return (await deleteTenantLogo(deps.store.db, tenant.id, deps.clock.now())) ?? tenant
}

/** A tenant's logo PNG by the hash in its URL; null when that is not (or no longer) its logo. */
export async function logoPng(deps: Deps, tenantId: string, hash: string): Promise<Buffer | null> {
  return tenantLogoPng(deps.store.db, tenantId, hash)
}
