// The tenant event feed: a tenant's events in creation order, in the envelopes its webhooks
// carry, for catching up after downtime and for `loom listen`, which holds one long poll after
// another to forward events to a local URL.
import type { Deps } from '../deps.ts'
import { isId } from '../domain/ids.ts'
import type { Caller, KeyMode } from '../domain/tenants.ts'
import { buildWebhookPayload } from '../jobs/webhook-payload.ts'
import { loadVerification } from './verifications.ts'
import { getEvent, getVerification, listEvents, listTenantEvents } from '../store/verifications.ts'
import type { Verification, VerificationEvent } from '../store/verifications.ts'

/** How often a waiting request looks for new events. */
const WAIT_POLL_MS = 250

export interface EventPageRequest {
  /** The last event id the caller has; the page starts after it. */
  after?: string
  /** An ISO time; the page starts at it. */
  since?: string
  limit: number
  /** How long to wait for a first event when none is there yet. */
  waitSeconds: number
  /** True once the caller has gone away (stop waiting). */
  gone: () => boolean
}

export type EventPage =
  | { ok: true; data: ReturnType<typeof buildWebhookPayload>[]; hasMore: boolean }
  | { ok: false; reason: 'unknown_cursor' }

/** One page of a tenant's events of one mode, oldest first, waiting for one if asked. */
export async function eventPage(
  deps: Deps,
  tenantId: string,
  mode: KeyMode,
  req: EventPageRequest,
): Promise<EventPage> {
  const db = deps.store.db
  let from: Parameters<typeof listTenantEvents>[3] = null
  if (req.after !== undefined) {
    const cursor = isId('evt', req.after) ? await getEvent(db, tenantId, req.after) : null
    if (cursor === null) return { ok: false, reason: 'unknown_cursor' }
    from = { after: { createdAt: cursor.createdAt, id: cursor.id } }
  } else if (req.since !== undefined) {
    from = { since: new Date(req.since).toISOString() }
  }
  const deadline = Date.now() + req.waitSeconds * 1000
  let events: VerificationEvent[]
  for (;;) {
    events = await listTenantEvents(db, tenantId, mode, from, req.limit + 1)
    if (events.length > 0 || Date.now() >= deadline || req.gone()) break
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS))
  }
  const page = events.slice(0, req.limit)
  const verifications = new Map<string, Verification | null>()
  for (const e of page) {
    if (!verifications.has(e.verificationId)) {
      verifications.set(e.verificationId, await getVerification(db, tenantId, e.verificationId))
    }
  }
  return {
    ok: true,
    data: page.map((e) => buildWebhookPayload(e, verifications.get(e.verificationId) ?? null)),
    hasMore: events.length > req.limit,
  }
}

/** One of the caller's verifications and its events, oldest first (404 for another's). */
export async function verificationEvents(
  deps: Deps,
  caller: Caller,
  verificationId: string,
): Promise<{ verification: Verification; events: VerificationEvent[] }> {
  const verification = await loadVerification(deps, caller, verificationId)
  const events = await listEvents(deps.store.db, caller.tenant.id, verification.id)
  return { verification, events }
}
