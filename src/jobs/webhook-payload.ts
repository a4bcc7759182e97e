// The one place a webhook body is built, so every event (and document results and
// deletions) has the same envelope. No personal data beyond what the tenant asked for: the
// event's own payload (status, public result: decision, reasons, verified age) and the tenant's
// own metadata and external id.
import type { Verification, VerificationEvent } from '../store/verifications.ts'

/** The event types a webhook endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'verification.started',
  'verification.completed',
  'verification.failed',
  'verification.expired',
  'verification.abandoned',
  'verification.deleted',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

export interface WebhookPayload {
  /** The event id (`evt_…`): the same for every target of the event. */
  id: string
  type: string
  /** When the event happened (ISO-8601 UTC). */
  createdAt: string
  verificationId: string
  /** The tenant's metadata from the start of the verification; null after deletion. */
  metadata: Record<string, unknown> | null
  externalId: string | null
  mode: string | null
  /** The event's details: e.g. `{ status, result }` for verification.completed. */
  data: Record<string, unknown>
}

/**
 * The body of a webhook for an event. `verification` is null once it has been deleted; the
 * event's own payload still says what happened.
 */
export function buildWebhookPayload(
  event: VerificationEvent,
  verification: Verification | null,
): WebhookPayload {
  return {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    verificationId: event.verificationId,
    metadata: verification?.metadata ?? null,
    externalId: verification?.externalId ?? null,
    mode: verification?.mode ?? null,
    data: { verificationId: event.verificationId, ...event.payload },
  }
}
