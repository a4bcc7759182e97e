// A seeded fuzzer for every route of a running Loom: routes from its OpenAPI document (plus the
// hosted page's, which the document hides), each called with hostile bodies, parameters and
// files as the tenant that owns the ids, another tenant, and the operator. It records every 5xx,
// and meanwhile the latency of /health and the server's resident memory. The test suite runs it
// briefly (test/fuzz.test.ts); `npm run bench -- hostile` runs it longer against the goals.
import fs from 'node:fs'
import sharp from 'sharp'
import { ADMIN_KEY } from './lib.ts'

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
interface Schema {
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: Json[]
  const?: Json
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  $ref?: string
  minimum?: number
  maxLength?: number
  minLength?: number
  format?: string
}
interface Operation {
  method: string
  path: string
  security: 'tenant' | 'admin' | 'none'
  pathParams: string[]
  queryParams: Record<string, Schema>
  body: Schema | null
  multipart: boolean
}

/** Files made to hurt a decoder, or just not to be what they claim. */
export interface HostileFiles {
  nestedPdf: Buffer
  hugeJpeg: Buffer
}

export interface Fixtures {
  liveKey: string
  testKey: string
  otherKey: string
  tenantId: string
  otherTenantId: string
  keyId: string
  verificationId: string
  imageId: string
  endpointId: string
  workflowId: string
  sessionId: string
  jobId: string
  pagePath: string
  token: string
}

export interface FuzzReport {
  requests: number
  byStatus: Record<string, number>
  failures: { request: string; status: number; body: string }[]
  health: { polls: number; medianMs: number; p99Ms: number; maxMs: number }
  maxRssBytes: number
  seconds: number
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  '%00',
  '%',
  '\\',
  "' OR 1=1 --",
  '"; drop table verifications; --',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '\u202e\u200b\ufeff',
  '😀'.repeat(40),
  '\ud800',
  'A'.repeat(5000),
  'ver_' + 'x'.repeat(300),
  'ver_0000000000000000000000',
  'img_0000000000000000000000',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
  'null',
  'true',
  '0x10',
  '2026-13-45',
  'https://169.254.169.254/latest/meta-data',
  'http://[::ffff:0:127.0.0.1]/',
  'javascript:alert(1)',
]

const HOSTILE_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53 + 1,
  -1e308,
  [],
  [1, 'a', null],
  {},
  // An own "__proto__" key, as a JSON body carries it (an object literal would set the prototype).
  JSON.parse('{"__proto__":{"admin":true}}') as Json,
  { constructor: { prototype: { admin: true } } },
  ['x'],
]

async function pngBomb(): Promise<Buffer> {
  const png = await sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } },
  })
    .png()
    .toBuffer()
  // IHDR claims 100000 × 100000 pixels (its CRC is left wrong too).
  png.writeUInt32BE(100_000, 16)
  png.writeUInt32BE(100_000, 20)
  return png
}

/** Byte strings for image fields: hostile, broken, or not images at all. */
async function imageCorpus(files: HostileFiles): Promise<Buffer[]> {
  const small = await sharp({
    create: { width: 400, height: 300, channels: 3, background: { r: 120, g: 130, b: 140 } },
  })
    .jpeg()
    .toBuffer()
  return [
    files.nestedPdf,
    files.hugeJpeg,
    await pngBomb(),
    small.subarray(0, small.length >> 1), // truncated JPEG
    small,
    Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
    Buffer.from('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic', 'latin1'),
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    Buffer.from('%PDF-1.4\n%broken'),
    Buffer.from([0xff, 0xd8, 0xff]),
    Buffer.alloc(0),
    Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'),
  ]
}

export async function runFuzz(options: {
  url: string
  pid: number
  fixtures: Fixtures
  files: HostileFiles
  seed: number
  cases: number
  concurrency?: number
  log?: (line: string) => void
}): Promise<FuzzReport> {
  const random = prng(options.seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const chance = (p: number): boolean => random() < p
  const { url, fixtures } = options
  const images = await imageCorpus(options.files)
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, Record<string, unknown>>>
    components?: { schemas?: Record<string, Schema> }
  }
  const operations = operationsOf(doc)

  function resolve(schema: Schema | undefined): Schema {
    if (!schema) return {}
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop() ?? ''
      return resolve(doc.components?.schemas?.[name])
    }
    if (schema.allOf?.length) return resolve(schema.allOf[0])
    const alternatives = schema.anyOf ?? schema.oneOf
    if (alternatives?.length) return resolve(pick(alternatives))
    return schema
  }

  /** A plausible value for a schema (ids from the fixtures when the name says which). */
  function plausible(schema: Schema | undefined, name: string, depth = 0): Json {
    const s = resolve(schema)
    if (s.const !== undefined) return s.const
    if (s.enum?.length) return pick(s.enum)
    const type = (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type) ?? 'string'
    switch (type) {
      case 'integer':
      case 'number':
        return s.minimum ?? 18
      case 'boolean':
        return chance(0.5)
      case 'array':
        return depth > 3 ? [] : [plausible(s.items, name, depth + 1)]
      case 'object': {
        const out: Record<string, Json> = {}
        for (const [key, child] of Object.entries(s.properties ?? {})) {
          if (s.required?.includes(key) || chance(0.5)) out[key] = plausible(child, key, depth + 1)
        }
        return out
      }
      default:
        return plausibleString(name, s)
    }
  }

  function plausibleString(name: string, s: Schema): string {
    const lower = name.toLowerCase()
    if (/image|document_data|^data$/.test(lower)) return pick(images).toString('base64')
    if (lower.includes('verification') || lower === 'sid' || lower === 'starting_after') {
      return pick([fixtures.verificationId, fixtures.sessionId])
    }
    if (lower === 'token') return pick([fixtures.token, 'eyJ.a.b'])
    if (lower.includes('url')) return pick(['https://shop.example/x', 'http://127.0.0.1:1/'])
    if (lower.includes('email')) return 'a@example.com'
    if (lower.includes('phone')) return '+15192223333'
    if (lower.includes('secret')) return fixtures.liveKey
    if (lower.includes('since') || s.format === 'date-time') return new Date().toISOString()
    if (lower === 'month') return new Date().toISOString().slice(0, 7)
    if (lower === 'time_to_live' || lower === 'timetolive') return '1d'
    return 'x'.repeat(Math.max(1, Math.min(s.minLength ?? 1, 8)))
  }

  function hostile(): Json {
    return chance(0.6) ? pick(HOSTILE_STRINGS) : pick(HOSTILE_VALUES)
  }

  /** A plausible body with one to three fields made hostile (or added). */
  function mutatedBody(schema: Schema): Json {
    const body = plausible(schema, 'body')
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body
    const keys = Object.keys(resolve(schema).properties ?? {})
    const n = 1 + Math.floor(random() * 3)
    for (let i = 0; i < n; i++) {
      const key = keys.length > 0 && chance(0.85) ? pick(keys) : pick(['extra', '__proto__', ''])
      body[key] = hostile()
    }
    return body
  }

  function pathValue(name: string, path: string): string {
    if (chance(0.35)) return pathEncoded(String(pick(HOSTILE_STRINGS))) || '%20'
    const own: Record<string, string> = {
      verificationId: fixtures.verificationId,
      sid: fixtures.sessionId,
      imageId: fixtures.imageId,
      keyId: fixtures.keyId,
    }
    if (own[name]) return own[name]
    if (name === 'id') {
      if (path.startsWith('/admin/tenants'))
        return pick([fixtures.tenantId, fixtures.otherTenantId])
      if (path.startsWith('/admin/jobs')) return fixtures.jobId
      if (path.startsWith('/webhooks/endpoints')) return fixtures.endpointId
      if (path.startsWith('/v1/workflows')) return fixtures.workflowId
      if (path.startsWith('/v1/sessions')) return fixtures.sessionId
      if (path.includes('/images/')) return fixtures.imageId
      return pick(['del_0000000000000000000000', fixtures.verificationId])
    }
    return 'x'
  }

  function credentials(op: Operation): Record<string, string> {
    if (op.security === 'admin') {
      return chance(0.9) ? { 'x-admin-key': ADMIN_KEY } : { 'x-admin-key': 'nope' }
    }
    if (op.security === 'none') return {}
    const key = pick([
      fixtures.liveKey,
      fixtures.liveKey,
      fixtures.testKey,
      fixtures.otherKey,
      'loom_live_' + 'A'.repeat(43),
    ])
    const header = pick(['x-tenant-api-key', 'authorization', 'x-api-key'])
    return { [header]: header === 'authorization' ? `Bearer ${key}` : key }
  }

  interface Case {
    method: string
    path: string
    headers: Record<string, string>
    body?: string | Buffer
  }

  function caseFor(op: Operation): Case {
    let path = op.path
    for (const name of op.pathParams) path = path.replace(`{${name}}`, pathValue(name, op.path))
    const query = new URLSearchParams()
    for (const [name, schema] of Object.entries(op.queryParams)) {
      if (chance(0.6)) {
        const value = chance(0.4) ? hostile() : plausible(schema, name)
        query.set(name, typeof value === 'string' ? value : JSON.stringify(value))
      }
    }
    if (chance(0.1)) query.set(pick(['x', '__proto__', 'a[b]']), pick(HOSTILE_STRINGS))
    const headers: Record<string, string> = { ...credentials(op) }
    const search = query.toString()
    const full = search ? `${path}?${search}` : path
    if (op.method === 'GET' || op.method === 'DELETE')
      return { method: op.method, path: full, headers }
    const roll = random()
    if (op.multipart && roll < 0.3) {
      const boundary = `----loomfuzz${Math.floor(random() * 1e9)}`
      const file = pick(images)
      const parts = [
        `--${boundary}\r\ncontent-disposition: form-data; name="type"\r\n\r\n${pick(['document_front', 'selfie', '\u0000', 'x'])}\r\n`,
        `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`,
      ]
      const body = Buffer.concat([
        Buffer.from(parts.join('')),
        file,
        Buffer.from(chance(0.8) ? `\r\n--${boundary}--\r\n` : '\r\n--broken'),
      ])
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`
      return { method: op.method, path: full, headers, body }
    }
    if (roll < 0.12) {
      headers['content-type'] = pick(['text/plain', 'application/xml', 'application/json'])
      const text = pick([
        '{',
        '{"a":',
        'null',
        '[]',
        '"x"',
        '\ufeff{}',
        `{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`,
        '{"__proto__":{"admin":true}}',
        'x'.repeat(300_000),
        '',
      ])
      return { method: op.method, path: full, headers, body: text }
    }
    headers['content-type'] = 'application/json'
    const body = op.body ? mutatedBody(op.body) : hostile()
    return { method: op.method, path: full, headers, body: JSON.stringify(body) }
  }

  /** The hosted page's own routes (hidden from the OpenAPI document). */
  function pageCase(): Case {
    const page = chance(0.8) ? fixtures.pagePath : `/s/${pick(HOSTILE_STRINGS.slice(4, 12))}`
    const kind = pick(['document_front', 'document_back', 'selfie', 'passport', '%00'])
    switch (Math.floor(random() * 5)) {
      case 0:
        return {
          method: 'POST',
          path: `${page}/images/${kind}`,
          headers: { 'content-type': pick(['image/jpeg', 'application/pdf', 'text/plain']) },
          body: pick(images),
        }
      case 1:
        return {
          method: 'POST',
          path: `${page}/document`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: hostile() }),
        }
      case 2:
        return {
          method: 'GET',
          path: `${page}/state?lang=${pick(['fr', 'xx', '%00'])}`,
          headers: {},
        }
      case 3:
        return { method: 'GET', path: `${page}?lang=${pick(['en', '<x>', ''])}`, headers: {} }
      default:
        return { method: 'POST', path: `${page}/cancel`, headers: {}, body: '' }
    }
  }

  const report: FuzzReport = {
    requests: 0,
    byStatus: {},
    failures: [],
    health: { polls: 0, medianMs: 0, p99Ms: 0, maxMs: 0 },
    maxRssBytes: 0,
    seconds: 0,
  }
  const latencies: number[] = []
  let running = true
  const poller = (async () => {
    while (running) {
      const started = performance.now()
      try {
        const res = await fetch(`${url}/health`)
        await res.arrayBuffer()
      } catch {
        // counted as slow: the time it took to fail
      }
      latencies.push(performance.now() - started)
      report.maxRssBytes = Math.max(report.maxRssBytes, rssOf(options.pid))
      await new Promise((r) => setTimeout(r, 25))
    }
  })()

  const started = performance.now()
  const cases: Case[] = []
  for (let i = 0; i < options.cases; i++) {
    cases.push(chance(0.12) ? pageCase() : caseFor(pick(operations)))
  }
  let next = 0
  async function lane(): Promise<void> {
    while (next < cases.length) {
      const c = cases[next++]!
      let status: number
      let text = ''
      try {
        const res = await fetch(`${url}${c.path}`, {
          method: c.method,
          headers: c.headers,
          ...(c.body !== undefined && { body: c.body }),
        })
        status = res.status
        text = await res.text()
      } catch (err) {
        // The server dropped the connection: as bad as a 500.
        status = 599
        text = err instanceof Error ? err.message : String(err)
      }
      report.requests++
      const bucket = `${Math.floor(status / 100)}xx`
      report.byStatus[bucket] = (report.byStatus[bucket] ?? 0) + 1
      if (status >= 500) {
        const body =
          typeof c.body === 'string' ? c.body.slice(0, 300) : `<${c.body?.length ?? 0} bytes>`
        report.failures.push({
          request: `${c.method} ${c.path.slice(0, 300)} ${JSON.stringify(c.headers)} ${body}`,
          status,
          body: text.slice(0, 300),
        })
        options.log?.(`${status} ${c.method} ${c.path.slice(0, 120)}`)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, () => lane()))
  running = false
  await poller
  report.seconds = (performance.now() - started) / 1000
  const sorted = [...latencies].sort((a, b) => a - b)
  report.health = {
    polls: sorted.length,
    medianMs: sorted[sorted.length >> 1] ?? 0,
    p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
    maxMs: sorted.at(-1) ?? 0,
  }
  return report
}

function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>
}): Operation[] {
  const out: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security = (op.security as Record<string, unknown>[] | undefined) ?? []
      const names = security.flatMap((s) => Object.keys(s))
      const parameters = (op.parameters as { in: string; name: string; schema: Schema }[]) ?? []
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> })?.content
      out.push({
        method: method.toUpperCase(),
        path,
        security: names.includes('adminKey') ? 'admin' : names.length > 0 ? 'tenant' : 'none',
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: Object.fromEntries(
          parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
        ),
        body: content?.['application/json']?.schema ?? null,
        multipart: content?.['multipart/form-data'] !== undefined,
      })
    }
  }
  return out
}

/** Percent-encoded for a path; a lone surrogate becomes bytes that are not UTF-8 at all. */
function pathEncoded(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return '%ED%A0%80%FF'
  }
}

/** Resident memory of a process and all its threads, from /proc (0 when unreadable). */
export function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

/**
 * Two tenants on a running Loom and one of everything the routes name: a verification with an
 * image and a token, a webhook endpoint, a workflow, a session, a job.
 */
export async function createFixtures(url: string, document: Buffer): Promise<Fixtures> {
  const call = async <T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`)
    return JSON.parse(text) as T
  }
  const admin = { 'x-admin-key': ADMIN_KEY }
  const tenant = await call<{ id: string; apiKey: string; apiKeyId: string }>(
    'POST',
    '/admin/tenants',
    admin,
    { name: 'fuzz', rateLimitPerMinute: 1_000_000 },
  )
  const other = await call<{ id: string; apiKey: string }>('POST', '/admin/tenants', admin, {
    name: 'fuzz-other',
    rateLimitPerMinute: 1_000_000,
  })
  const test = await call<{ apiKey: string }>('POST', `/admin/tenants/${tenant.id}/keys`, admin, {
    mode: 'test',
  })
  const key = { 'x-tenant-api-key': tenant.apiKey }
  const started = await call<{ verificationId: string; sessionUrl: string }>(
    'POST',
    '/verify/start',
    key,
    { callback_url: 'https://shop.example/done' },
  )
  const image = await call<{ imageId: string }>('POST', '/verify/images', key, {
    verificationId: started.verificationId,
    type: 'document_front',
    image: document.toString('base64'),
  })
  // The server's own worker decides it (reading the passport): wait for the token.
  let done: { status: string; token?: string } = { status: 'processing' }
  for (let i = 0; i < 100 && (done.status === 'processing' || done.status === 'pending'); i++) {
    await new Promise((r) => setTimeout(r, 100))
    done = await call('GET', `/verify/status?verificationId=${started.verificationId}`, key)
  }
  const page = await call<{ sessionUrl: string }>('POST', '/verify/start', key, {
    verification_type: 'full_verification',
  })
  const endpoint = await call<{ id: string }>('POST', '/webhooks/endpoints', key, {
    url: 'https://hooks.example/loom',
  })
  const workflow = await call<{ id: string }>(
    'POST',
    '/v1/workflows',
    { 'x-api-key': tenant.apiKey },
    {
      name: 'fuzz',
      verification_type: 'age_only',
    },
  )
  const session = await call<{ session_id: string }>(
    'POST',
    '/api/v1/verification',
    { authorization: `Bearer ${tenant.apiKey}` },
    {},
  )
  const jobs = await call<{ data: { id: string }[] }>('GET', '/admin/jobs?limit=1', admin)
  return {
    liveKey: tenant.apiKey,
    testKey: test.apiKey,
    otherKey: other.apiKey,
    tenantId: tenant.id,
    otherTenantId: other.id,
    keyId: tenant.apiKeyId,
    verificationId: started.verificationId,
    imageId: image.imageId,
    endpointId: endpoint.id,
    workflowId: workflow.id,
    sessionId: session.session_id,
    jobId: jobs.data[0]?.id ?? 'job_0000000000000000000000',
    pagePath: new URL(page.sessionUrl).pathname,
    token: done.token ?? 'eyJ.a.b',
  }
}
