// The client's address behind proxies: the right-most X-Forwarded-For entry that is not a trusted
// proxy (proxy-addr walks from the socket outwards). The left-most entry is whatever the client
// wrote, so it is never taken as such. Fastify's request.ip and the token fast path share this.
import type { IncomingMessage } from 'node:http'
import proxyAddr from '@fastify/proxy-addr'
import type { ProxyTrust } from '../config.ts'

/** Whether the hop at `address`, `hop` steps from Loom (0: the socket's peer), is trusted. */
export type TrustFunction = (address: string, hop: number) => boolean

/** The trust function for a configuration; false when no proxy is trusted. */
export function proxyTrustFunction(trust: ProxyTrust): TrustFunction | false {
  switch (trust.kind) {
    case 'none':
      return false
    case 'hops':
      return (_address, hop) => hop < trust.hops
    case 'addresses':
      return proxyAddr.compile(trust.addresses)
  }
}

/** The client's address of a raw request, as Fastify's request.ip computes it. */
export function clientAddress(
  req: IncomingMessage,
  trust: TrustFunction | false,
): string | undefined {
  return trust === false ? req.socket.remoteAddress : proxyAddr(req, trust)
}
