// Checking a webhook Loom sent, per Standard Webhooks (https://www.standardwebhooks.com/):
// `webhook-signature` holds one or more `v1,<base64>` separated by spaces (two while a rotated-out
// secret is in its grace period), each the HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}`
// keyed with the base64-decoded part of the secret after `whsec_`.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { WebhookVerificationError } from './errors.ts'
import type { WebhookEvent } from './types.ts'

/** Standard Webhooks' default: a delivery older (or newer) than this is refused as a replay. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60

/** Request headers as Node's `req.headers`, a fetch `Headers`, or a plain object. */
export type WebhookHeaders =
  Headers | Record<string, string | string[] | undefined> | Iterable<[string, string]>

export interface VerifyWebhookOptions {
  /** Seconds a timestamp may differ from now (default 300). */
  toleranceSeconds?: number
  /** The time to check against (default now). */
  now?: Date
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  if (Symbol.iterator in headers) {
    for (const [key, value] of headers as Iterable<[string, string]>) {
      if (key.toLowerCase() === name) return value
    }
    return undefined
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue
    return Array.isArray(value) ? value.join(' ') : value
  }
  return undefined
}

function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret
  const key = Buffer.from(encoded, 'base64')
  if (key.length === 0) throw new TypeError('The webhook secret is empty or not base64 (whsec_…)')
  return key
}

function fail(code: string, message: string): never {
  throw new WebhookVerificationError({ code, message, status: undefined })
}

/**
 * Checks a webhook's Standard Webhooks signature and timestamp against the endpoint's secret
 * (`whsec_…`) and returns the parsed event. Pass the raw body exactly as received.
 * Throws WebhookVerificationError when it does not check out.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new TypeError(
      'Pass the raw request body (string or bytes): a parsed and re-serialised body does not keep its signature',
    )
  }
  const body = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8')
  const id = headerOf(headers, 'webhook-id')
  const timestamp = headerOf(headers, 'webhook-timestamp')
  const signatures = headerOf(headers, 'webhook-signature')
  if (!id || !timestamp || !signatures) {
    fail(
      'WEBHOOK_HEADERS_MISSING',
      'webhook-id, webhook-timestamp and webhook-signature headers are required',
    )
  }
  if (!/^\d+$/.test(timestamp))
    fail('WEBHOOK_TIMESTAMP_INVALID', 'webhook-timestamp is not a number')
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS
  const sentAt = Number(timestamp)
  if (sentAt < nowSeconds - tolerance) fail('WEBHOOK_TIMESTAMP_TOO_OLD', 'The webhook is too old')
  if (sentAt > nowSeconds + tolerance) {
    fail('WEBHOOK_TIMESTAMP_TOO_NEW', 'The webhook timestamp is in the future')
  }
  const expected = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest()
  const matched = signatures.split(' ').some((entry) => {
    const comma = entry.indexOf(',')
    if (comma < 0 || entry.slice(0, comma) !== 'v1') return false
    const given = Buffer.from(entry.slice(comma + 1), 'base64')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  if (!matched) fail('WEBHOOK_SIGNATURE_INVALID', 'No webhook signature matches the secret')
  try {
    return JSON.parse(body) as WebhookEvent
  } catch (err) {
    throw new WebhookVerificationError({
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: 'The signed webhook body is not JSON',
      cause: err,
    })
  }
}
