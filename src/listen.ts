// `loom listen --forward URL`: streams a tenant's events to a local URL, with no public URL
// needed. It holds one long poll after another on GET /events with the tenant's key, signs each
// event like a delivery (Standard Webhooks headers, the tenant's webhook secret or --secret) and
// POSTs it to the local URL, printing one line per event. Sent once each, not retried: the
// delivery log and retries belong to real endpoints.
import { webhookHeaders } from './jobs/webhook-signing.ts'

export interface ListenOptions {
  loomUrl: string
  apiKey: string
  forwardTo: string
  /** Only these event types (all when empty). */
  events: string[]
  /** Signs forwarded events; the tenant's webhook secret (GET /webhooks/secret) when null. */
  secret: string | null
  /** First event time to forward (ISO); now when null. */
  since: string | null
  signal: AbortSignal
  out: (line: string) => void
  /** Called once listening has begun (tests wait for it). */
  onReady?: () => void
}

interface ListedEvent {
  id: string
  type: string
  createdAt: string
  verificationId: string
}

export class ListenError extends Error {}

const LONG_POLL_SECONDS = 25
const FORWARD_TIMEOUT_MS = 10_000

/** Runs until `signal` aborts; throws ListenError when Loom refuses the key. */
export async function listen(options: ListenOptions): Promise<void> {
  const { loomUrl, apiKey, signal, out } = options
  const headers = { 'x-tenant-api-key': apiKey, accept: 'application/json' }

  async function loom(path: string): Promise<unknown> {
    const res = await fetch(`${loomUrl}${path}`, { headers, signal })
    const text = await res.text()
    if (res.status === 401) {
      throw new ListenError(`Loom at ${loomUrl} refused the API key (401): ${text}`)
    }
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`)
    return JSON.parse(text) as unknown
  }

  const secret = options.secret ?? ((await loom('/webhooks/secret')) as { secret: string }).secret
  let position = `since=${encodeURIComponent(options.since ?? new Date().toISOString())}`
  out(`Ready. Forwarding events from ${loomUrl} to ${options.forwardTo}`)
  out(`Signing secret for the forwarded events: ${secret}`)
  if (options.events.length > 0) out(`Only: ${options.events.join(', ')}`)
  out('Ctrl-C to stop.')
  options.onReady?.()

  let backoffMs = 500
  while (!signal.aborted) {
    let page: { data: ListedEvent[]; hasMore: boolean }
    try {
      page = (await loom(`/events?${position}&limit=100&wait=${LONG_POLL_SECONDS}`)) as typeof page
      backoffMs = 500
    } catch (e) {
      if (signal.aborted) return
      if (e instanceof ListenError) throw e
      out(`! Loom did not answer (${e instanceof Error ? e.message : String(e)}); trying again`)
      await sleep(backoffMs, signal)
      backoffMs = Math.min(backoffMs * 2, 10_000)
      continue
    }
    for (const event of page.data) {
      position = `after=${encodeURIComponent(event.id)}`
      if (options.events.length > 0 && !options.events.includes(event.type)) continue
      out(await forward(event, secret, options))
    }
  }
}

/** POSTs one event to the local URL; the line to print. */
async function forward(
  event: ListedEvent,
  secret: string,
  options: ListenOptions,
): Promise<string> {
  const body = JSON.stringify(event)
  const headers = webhookHeaders({
    messageId: event.id,
    eventType: event.type,
    timestampSeconds: Math.floor(Date.now() / 1000),
    body,
    secrets: [secret],
  })
  const started = performance.now()
  const label = `${event.createdAt}  ${event.type.padEnd(24)} ${event.id}`
  try {
    const res = await fetch(options.forwardTo, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]),
      redirect: 'manual',
    })
    await res.body?.cancel()
    return `${label}  -> ${res.status} (${Math.round(performance.now() - started)} ms)`
  } catch (e) {
    return `${label}  -> failed: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
