// What every console page shares: the session and form cookies, the CSRF comparison, the
// language, list cursors and filters, and the context the route plugins receive (send a page,
// require a signed-in user or the operator).
import { existsSync, readFileSync } from 'node:fs'
import { createHash, timingSafeEqual } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import { pickLanguage } from '../web/i18n.ts'
import { CONSOLE_LANGUAGES } from './messages.ts'
import type { ConsoleLanguage } from './messages.ts'
import type { VerificationRow } from '../services/review.ts'
import type { Permission, Principal } from './accounts.ts'
import { translator } from './pages.ts'
import type { T } from './pages.ts'

export const COOKIE = 'loom_console'
/** A sign-in form's own token (double-submit), so a sign-in cannot be forged either. */
export const FORM_COOKIE = 'loom_console_form'
export const PAGE_SIZE = 50
export const FORM_BODY_LIMIT = 16 * 1024

export function staticFile(name: string): Buffer {
  const beside = fileURLToPath(new URL(`./static/${name}`, import.meta.url))
  if (existsSync(beside)) return readFileSync(beside)
  return readFileSync(fileURLToPath(new URL(`../../src/console/static/${name}`, import.meta.url)))
}

/** The console's Content-Security-Policy: its own stylesheet and images, nothing else. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A console answer that is not a page: a redirect or an error page with its status. */
export class ConsoleHttp extends Error {
  constructor(
    readonly status: number,
    readonly key: 'error.not_found' | 'error.forbidden' | 'error.csrf' | null,
    readonly location: string | null = null,
  ) {
    super(key ?? 'redirect')
  }
}

export function cookiesOf(req: FastifyRequest): Map<string, string> {
  const jar = new Map<string, string>()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0) jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim())
  }
  return jar
}

export function cookie(
  req: FastifyRequest,
  name: string,
  value: string,
  maxAgeSeconds: number,
): string {
  const secure = req.protocol === 'https' ? '; Secure' : ''
  return `${name}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`
}

export function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest()
  const y = createHash('sha256').update(b).digest()
  return timingSafeEqual(x, y) && a.length > 0
}

export type Form = Record<string, string>

export function formOf(req: FastifyRequest): Form {
  const body = req.body
  return typeof body === 'object' && body !== null ? (body as Form) : {}
}

export function languageOf(req: FastifyRequest): ConsoleLanguage {
  const query = req.query as Record<string, string | undefined>
  return pickLanguage(query.lang, req.headers['accept-language'], CONSOLE_LANGUAGES)
}

/** The translator for the request's language. */
export function textOf(req: FastifyRequest): T {
  return translator(languageOf(req))
}

export function selfPath(req: FastifyRequest): string {
  const url = req.url
  const at = url.indexOf('?')
  if (at === -1) return url
  const params = new URLSearchParams(url.slice(at + 1))
  params.delete('lang')
  const rest = params.toString()
  return rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at)
}

/** Encodes a list cursor (created time and id of the last row). */
export function cursorOf(row: VerificationRow): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString('base64url')
}

export function parseCursor(
  text: string | undefined,
): { createdAt: string; id: string } | undefined {
  if (text === undefined || text === '') return undefined
  const [createdAt, id] = Buffer.from(text, 'base64url').toString('utf8').split('|')
  if (!createdAt || !id || !/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(createdAt)) {
    throw new ApiError('INVALID_PARAMETERS', 'after is not a cursor from this list')
  }
  return { createdAt, id }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

export function dayBound(
  text: string | undefined,
  name: string,
  next: boolean,
): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!DAY.test(text) || Number.isNaN(Date.parse(text)))
    throw new ApiError('INVALID_PARAMETERS', `${name} must be a date YYYY-MM-DD`)
  const at = new Date(`${text}T00:00:00.000Z`)
  if (next) at.setUTCDate(at.getUTCDate() + 1)
  return at.toISOString()
}

export function oneOf(
  text: string | undefined,
  allowed: readonly string[],
  name: string,
): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!allowed.includes(text))
    throw new ApiError('INVALID_PARAMETERS', `${name} must be one of ${allowed.join(', ')}`)
  return text
}

export function isoShort(iso: string | null): string {
  return iso === null ? '—' : iso.replace('T', ' ').slice(0, 19)
}

export type UserPrincipal = Principal & { kind: 'user' }
export type OperatorPrincipal = Principal & { kind: 'operator' }

/** What the console's route plugins receive from the console plugin that registers them. */
export interface ConsoleContext {
  deps: Deps
  /** Sends a whole page (`body` is already-escaped HTML). */
  send: (
    req: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: string,
    status?: number,
  ) => FastifyReply
  /** The signed-in tenant user, with the permission when one is named; else a redirect or 403. */
  userOf: (req: FastifyRequest, permission?: Permission) => UserPrincipal
  /** The signed-in operator; else a redirect to sign-in. */
  operatorOf: (req: FastifyRequest) => OperatorPrincipal
}

export interface ConsolePluginOptions {
  console: ConsoleContext
}
