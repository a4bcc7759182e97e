// Webhook secrets and signatures.
//
// Standard Webhooks (https://www.standardwebhooks.com/): a secret is `whsec_` + base64 of random
// bytes; the key is those bytes. Each request carries `webhook-id` (stable across retries of one
// event to one target, for deduplication), `webhook-timestamp` (seconds, fresh per attempt, so
// receivers can refuse replays) and `webhook-signature`: `v1,` + base64 HMAC-SHA256 of
// `id.timestamp.body`, one per valid secret, space-separated (two while a rotated-out secret is
// in its grace period).
//
// The native API's older webhook scheme is kept for existing clients: `X-Webhook-Signature` is the hex
// HMAC-SHA256 of the body keyed with the whole secret string as shown (`whsec_…`), computed with
// the current secret only, and `X-Webhook-Event` names the event type.
import { createHmac, randomBytes } from 'node:crypto'

const PREFIX = 'whsec_'

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64')
}

/** `v1,<base64>` for one secret. */
export function standardSignature(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', keyOf(secret))
    .update(`${messageId}.${timestampSeconds}.${body}`)
    .digest('base64')
  return `v1,${mac}`
}

/** The request headers of one attempt; `secrets` are the valid ones, the current first. */
export function webhookHeaders(input: {
  messageId: string
  eventType: string
  timestampSeconds: number
  body: string
  secrets: string[]
}): Record<string, string> {
  const [current] = input.secrets
  if (current === undefined) throw new Error('a webhook needs at least one secret')
  return {
    'content-type': 'application/json',
    'user-agent': 'Loom-Webhooks/1',
    'webhook-id': input.messageId,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': input.secrets
      .map((s) => standardSignature(s, input.messageId, input.timestampSeconds, input.body))
      .join(' '),
    'x-webhook-signature': createHmac('sha256', current).update(input.body).digest('hex'),
    'x-webhook-event': input.eventType,
  }
}
