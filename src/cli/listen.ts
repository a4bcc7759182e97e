// `loom listen`: a tenant's events forwarded to a local URL.
import { loadClientConfig } from '../config.ts'
import { UsageError, err, out, parse } from './command.ts'
import type { Command } from './command.ts'

export const listenCommand: Command = async (argv) => {
  const { values } = parse(argv, {
    forward: { type: 'string' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    events: { type: 'string' },
    secret: { type: 'string' },
    since: { type: 'string' },
  })
  if (values.help) {
    out(`Usage: loom listen --forward URL [--url LOOM_URL] [--api-key KEY] [--events T1,T2]
                   [--secret whsec_…] [--since ISO-TIME]

Streams the tenant's events (those of the key's mode: a test key sees test verifications) to a
local URL, signed like webhook deliveries (Standard Webhooks headers), so a receiver on your
machine gets them with no public URL. Loom is reached at --url or LOOM_URL (default
http://localhost:PORT); the key comes from --api-key or LOOM_API_KEY. Events are signed with the
tenant's webhook secret (GET /webhooks/secret), or --secret. Each event is sent once; the answer
is printed. From now on, or from --since. Ctrl-C stops.`)
    return 0
  }
  const client = loadClientConfig()
  const forwardTo = values.forward
  if (forwardTo === undefined) throw new UsageError('--forward URL is required')
  if (!URL.canParse(forwardTo) || !/^https?:$/.test(new URL(forwardTo).protocol)) {
    throw new UsageError('--forward must be an http(s) URL')
  }
  const apiKey = values['api-key'] ?? client.apiKey
  if (apiKey === null) throw new UsageError('a tenant API key is needed: --api-key or LOOM_API_KEY')
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    throw new UsageError('--since must be an ISO-8601 time')
  }
  const { listen, ListenError } = await import('../listen.ts')
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  process.once('SIGTERM', () => stop.abort())
  try {
    await listen({
      loomUrl: (values.url ?? client.url).replace(/\/+$/, ''),
      apiKey,
      forwardTo,
      events:
        values.events
          ?.split(',')
          .map((e) => e.trim())
          .filter(Boolean) ?? [],
      secret: values.secret ?? null,
      since: values.since === undefined ? null : new Date(values.since).toISOString(),
      signal: stop.signal,
      out,
    })
  } catch (e) {
    if (e instanceof ListenError) {
      err(`loom listen: ${e.message}`)
      return 1
    }
    throw e
  }
  return 0
}
