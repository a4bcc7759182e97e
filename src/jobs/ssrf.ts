// The SSRF guard for webhook and callback URLs. A tenant chooses the URL, so without a guard it
// could make Loom call its own admin port, the cloud metadata service or the office network.
// Checked twice: when an endpoint is saved (scheme, literal addresses) and at delivery time after
// DNS, where the socket connects to exactly the address that was checked (a `lookup` hook), so a
// DNS answer that changes between check and connect (rebinding) cannot slip through.
import dns from 'node:dns'
import net from 'node:net'
import type { LookupFunction } from 'node:net'

/** IPv4 ranges no webhook may reach (RFC 6890 special-purpose, plus multicast and reserved). */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. 255.255.255.255 broadcast
]

function v4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

function blockedV4(address: string): boolean {
  const value = v4ToInt(address)
  return BLOCKED_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits)
    const start = v4ToInt(base)
    return value >= start && value < start + size
  })
}

/** The 16 bytes of an IPv6 address (with `::` and a trailing dotted quad expanded). */
function v6Bytes(address: string): number[] {
  let text = address.split('%')[0] ?? '' // drop a zone id
  const tail: number[] = []
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (quad?.[1]) {
    tail.push(...quad[1].split('.').map(Number))
    text = text.slice(0, -quad[1].length) + '0:0'
  }
  const [head = '', rest] = text.split('::')
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => parseInt(h, 16))
  const left = parse(head)
  const right = rest === undefined ? [] : parse(rest)
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff])
  if (tail.length === 4) bytes.splice(12, 4, ...tail)
  return bytes
}

function blockedV6(address: string): boolean {
  const b = v6Bytes(address)
  const zero = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0)
  const embeddedV4 = (at: number): string => b.slice(at, at + 4).join('.')
  const first = b[0] ?? 0
  const second = b[1] ?? 0
  if (zero(0, 16)) return true // :: unspecified
  if (zero(0, 15) && b[15] === 1) return true // ::1 loopback
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): judge the IPv4 inside.
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return blockedV4(embeddedV4(12))
  if (zero(0, 12)) return blockedV4(embeddedV4(12))
  // 64:ff9b::/96 NAT64 and 64:ff9b:1::/48 local NAT64: the IPv4 inside decides.
  if (first === 0x00 && second === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    return b[4] === 0 && b[5] === 1 ? true : blockedV4(embeddedV4(12))
  }
  // Beyond those, only global unicast (2000::/3) is reachable: this also refuses whatever else
  // carries an IPv4 address or reaches inside (::ffff:0:a.b.c.d IPv4-translated, 100::/64
  // discard, fc00::/7 unique local incl. fd00:ec2::254 metadata, fe80::/10 link-local, fec0::/10
  // site-local, ff00::/8 multicast, and the rest of ::/8 and the reserved space).
  if ((first & 0xe0) !== 0x20) return true
  // 2002::/16 6to4 carries an IPv4 address in bytes 2-5.
  if (first === 0x20 && second === 0x02) return blockedV4(embeddedV4(2))
  if (first === 0x20 && second === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return true // doc
  if (first === 0x3f && second === 0xff && ((b[2] ?? 0) & 0xf0) === 0) return true // doc (RFC 9637)
  if (first === 0x20 && second === 0x01 && b[2] === 0x00 && (b[3] ?? 0) < 0x02) return true // Teredo, benchmarking
  return false
}

/** Whether a webhook must not connect to this IP address (IPv4 or IPv6 text). */
export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address)
  if (family === 4) return blockedV4(address)
  if (family === 6) return blockedV6(address)
  return true // not an IP address at all: refuse rather than guess
}

export class BlockedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private, loopback or reserved address`)
    this.name = 'BlockedAddressError'
  }
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/**
 * Checks a webhook URL's shape when it is saved: http(s) only, https unless private targets are
 * allowed, no credentials, and no literal address (or `localhost`) the guard would refuse later.
 * Returns a message for the tenant, or null when it is acceptable.
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    return allowPrivate ? 'must be an http:// or https:// URL' : 'must be an https:// URL'
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password'
  if (allowPrivate) return null
  const host = hostOf(url)
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at localhost'
  if (net.isIP(host) !== 0 && isBlockedAddress(host)) {
    return 'must not point at a private, loopback, link-local or reserved address'
  }
  return null
}

/**
 * A `lookup` for http.request that resolves the name, refuses if any answer is blocked, and
 * hands the checked addresses to the socket (which connects to them, not to a second lookup).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
    if (err) {
      callback(err, '', 0)
      return
    }
    const blocked = addresses.find((a) => isBlockedAddress(a.address))
    if (blocked) {
      callback(new BlockedAddressError(hostname, blocked.address), '', 0)
      return
    }
    const first = addresses[0]
    if (first === undefined) {
      callback(new Error(`${hostname} has no address`), '', 0)
      return
    }
    if (options.all) {
      // Node's typings describe the single-address callback; with `all` it takes the list.
      ;(callback as unknown as (e: null, list: dns.LookupAddress[]) => void)(null, addresses)
      return
    }
    callback(null, first.address, first.family)
  })
}
