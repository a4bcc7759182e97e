// POST /tokens/validate served straight off node:http, for the requests that need nothing but
// memory: a tenant's site calls it on every page view, so its cost per request is the service's
// capacity. Fastify's routing, hooks, request and reply objects cost more per request than the
// validation itself (about 130 µs of CPU a request through the route against about 50 µs here,
// `npm run bench -- tokens`).
//
// The lane takes a request only when everything it needs to answer exactly as the Fastify route
// would is already known from the headers: the path, a JSON content type with a body length
// within the limit, an address not under a brute-force block, and an API key looked up in the
// last few seconds. Anything else — another path, a missing or unknown key, a body of unknown
// length, a server that is closing — is left untouched for Fastify, which serves it as usual.
// Once taken, the answer is the route's own: the same schemas, validator, reply shaping, error
// answers, rate-limit headers, request ids, log line and request-log entry (age-token-lane.test.ts
// compares the two over real HTTP).
//
// Responses are written once per event-loop turn: requests read in one turn are answered
// together, after the turn (Netty's flush consolidation, for the same reason). A client with many
// connections is then woken once per batch, not once per response; under light load the batch is
// one response and the wait a setImmediate.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ValidateFunction } from 'ajv'
import fastJson from 'fast-json-stringify'
import type { Limits, RateDecision } from '../limits.ts'
import type { Tenant } from '../domain/tenants.ts'
import type { TokenService } from '../services/age-tokens.ts'
import type { TenantAuthenticator } from './auth.ts'
import { presentedApiKey } from './auth.ts'
import { clientAddress } from './client-address.ts'
import type { TrustFunction } from './client-address.ts'
import { parseJsonText } from './json-body.ts'
import { renderError, statusFor } from './surfaces.ts'
import {
  DATABASE_OUTAGE,
  UNEXPECTED_ERROR,
  errorAnswer,
  rateLimitExceeded,
  rateLimitHeaders,
  requestIdFor,
  validationAnswer,
} from './responses.ts'
import type { ErrorAnswer } from './responses.ts'
import { ValidateReply, validationReplies } from './age-token-validation.ts'

const PATH = '/tokens/validate'
/** The content types the route's JSON parser takes without question. */
const JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/** What the lane needs from the app; each piece is the one the Fastify route uses. */
export interface TokenLaneOptions {
  tokens: TokenService
  limits: Pick<Limits, 'recentlyClear'>
  tenantAuth: Pick<TenantAuthenticator, 'cached'>
  /** Which proxies say the client's address (LOOM_TRUST_PROXY, LOOM_TRUSTED_PROXIES). */
  trustProxy: TrustFunction | false
  bodyLimit: number
  /** The route's body validator (TokenBody, compiled by the app's body Ajv). */
  validateBody: ValidateFunction<{ token: string }>
  consumeRateLimit(tenant: Tenant): Promise<RateDecision | null> | undefined
  /** Counts one validation's result (metrics). */
  countValidation(result: string): void
  recordResponse(
    req: { id: string; method: string; url: string; tenant: Tenant; loomEvent: null },
    route: string,
    status: number,
    elapsedMs: number,
    kept: 'failures',
  ): void
  logUnexpected(err: unknown, requestId: string): void
  /** Whether an error means the database cannot be reached (503, not a bug). */
  isUnavailable(err: unknown): boolean
  /** True once the app is closing: Fastify then answers 503 itself. */
  isClosing(): boolean
}

export interface TokenLane {
  /** Answers the request and returns true, or returns false without touching it. */
  serve(req: IncomingMessage, res: ServerResponse): boolean
  /** Requests the lane has taken. */
  readonly served: number
}

interface Answer {
  status: number
  headers: Record<string, string>
  payload: string
}

/** Not yet decided (null is "no decision": limits off, or the limiter could not answer). */
const WAITING = Symbol('waiting')

/** A request the lane took, until it is answered. */
interface Pending {
  req: IncomingMessage
  res: ServerResponse
  tenant: Tenant
  /** Whether the key presented is a live one (tokens validate only in their own mode). */
  livemode: boolean
  requestId: string
  started: number
  decision: RateDecision | null | typeof WAITING
  body: Body | undefined
}

export function createTokenLane(options: TokenLaneOptions): TokenLane {
  const { tokens, limits, tenantAuth, validateBody } = options
  const serialize = fastJson(ValidateReply)
  const reply = validationReplies((result) => options.countValidation(result))
  // A valid token's reply is one object for as long as the token is cached: serialize it once.
  const payloads = new WeakMap<ValidateReply, string>()
  const serialized = (body: ValidateReply): string => {
    let payload = payloads.get(body)
    if (payload === undefined) {
      payload = serialize(body)
      if (body.valid) payloads.set(body, payload)
    }
    return payload
  }
  let served = 0
  let pending: (() => void)[] = []

  function flush(): void {
    const batch = pending
    pending = []
    for (const write of batch) write()
  }

  function errorPayload(
    answer: ErrorAnswer,
    requestId: string,
    headers: Record<string, string>,
  ): Answer {
    Object.assign(headers, answer.headers)
    headers['content-type'] = JSON_CONTENT_TYPE
    const body = renderError('native', answer.code, answer.message, answer.details, requestId)
    return { status: statusFor('native', answer.code), headers, payload: JSON.stringify(body) }
  }

  /** The answer once the rate limiter has decided and the body is read (in whichever order). */
  function answer(
    request: Pending,
    decision: RateDecision | null,
    body: Body,
  ): Answer | Promise<Answer> {
    const { requestId } = request
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'x-content-type-options': 'nosniff',
    }
    if (decision) {
      Object.assign(headers, rateLimitHeaders(decision))
      const exceeded = rateLimitExceeded(decision)
      // The route refuses in its onRequest hook, before it reads the body: the limit wins.
      if (exceeded) return errorPayload(errorAnswer(exceeded), requestId, headers)
    }
    if (!body.ok) {
      headers.connection = 'close'
      return errorPayload(body.answer, requestId, headers)
    }
    const parsed = parseJsonText(body.text)
    if (!parsed.ok) {
      // Fastify closes the connection after a body it could not read or parse.
      headers.connection = 'close'
      return errorPayload(errorAnswer(parsed.error), requestId, headers)
    }
    if (!validateBody(parsed.value)) {
      return errorPayload(validationAnswer(validateBody.errors ?? [], 'body'), requestId, headers)
    }
    headers['content-type'] = JSON_CONTENT_TYPE
    const { tenant, livemode } = request
    const known = tokens.validateVerified(parsed.value.token, tenant.id, livemode)
    if (known !== undefined) return { status: 200, headers, payload: serialized(reply(known)) }
    return tokens.validate(parsed.value.token, tenant.id, livemode).then((result) => ({
      status: 200,
      headers,
      payload: serialized(reply(result)),
    }))
  }

  /** Answers once both the rate limiter and the body are in. */
  function settle(request: Pending): void {
    if (request.decision === WAITING || request.body === undefined) return
    let out: Answer | Promise<Answer>
    try {
      out = answer(request, request.decision, request.body)
    } catch (err) {
      return fail(request, err)
    }
    if (out instanceof Promise) {
      out.then(
        (done) => send(request, done),
        (err: unknown) => fail(request, err),
      )
    } else {
      send(request, out)
    }
  }

  function fail(request: Pending, err: unknown): void {
    const outage = options.isUnavailable(err)
    if (!outage) options.logUnexpected(err, request.requestId)
    const headers = { 'x-request-id': request.requestId, 'x-content-type-options': 'nosniff' }
    const answer = outage ? DATABASE_OUTAGE : UNEXPECTED_ERROR
    send(request, errorPayload(answer, request.requestId, headers))
  }

  function send(request: Pending, out: Answer): void {
    const { req, res, requestId } = request
    pending.push(() => {
      out.headers['content-length'] = String(Buffer.byteLength(out.payload))
      try {
        res.writeHead(out.status, out.headers)
        res.end(out.payload)
      } catch (err) {
        // A bug, not the client's doing; the other answers of the batch still go out.
        options.logUnexpected(err, requestId)
        res.destroy()
      }
      options.recordResponse(
        {
          id: requestId,
          method: 'POST',
          url: req.url ?? PATH,
          tenant: request.tenant,
          loomEvent: null,
        },
        PATH,
        out.status,
        performance.now() - request.started,
        'failures',
      )
    })
    if (pending.length === 1) setImmediate(flush)
  }

  return {
    get served() {
      return served
    },
    serve(req, res) {
      if (req.method !== 'POST' || req.url !== PATH || options.isClosing()) return false
      const headers = req.headers
      const type = headers['content-type']
      if (type === undefined || !JSON_TYPE.test(type)) return false
      const length = Number(headers['content-length'])
      if (
        headers['transfer-encoding'] !== undefined ||
        !(length > 0 && length <= options.bodyLimit)
      )
        return false
      const address = clientAddress(req, options.trustProxy)
      if (address === undefined || !limits.recentlyClear(address)) return false
      const presented = presentedApiKey(headers)
      const found = presented === null ? null : tenantAuth.cached(presented)
      if (!found) return false

      served++
      const request: Pending = {
        req,
        res,
        tenant: found.tenant,
        livemode: found.apiKey.mode === 'live',
        requestId: requestIdFor(headers),
        started: performance.now(),
        decision: WAITING,
        body: undefined,
      }
      // The limiter is asked and the body read at once; `settle` answers when both are in.
      const limited = options.consumeRateLimit(found.tenant)
      if (limited === undefined) request.decision = null
      else {
        limited.then(
          (decision) => {
            request.decision = decision
            settle(request)
          },
          (err: unknown) => fail(request, err),
        )
      }
      readBody(req, (body) => {
        request.body = body
        settle(request)
      })
      return true
    },
  }
}

/** The request body as text, or the answer Fastify gives when reading it fails. */
type Body = { ok: true; text: string } | { ok: false; answer: ErrorAnswer }

function readBody(req: IncomingMessage, done: (body: Body) => void): void {
  let finished = false
  const finish = (body: Body): void => {
    if (finished) return
    finished = true
    done(body)
  }
  const cutOff = (message: string): void =>
    finish({ ok: false, answer: { code: 'INVALID_REQUEST_BODY', message } })
  // The client may have gone already: no event will come.
  if (req.destroyed) return cutOff('aborted')
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () =>
    finish({
      ok: true,
      text:
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
    }),
  )
  // A body cut off mid-way (a client gone destroys the request with an error, emitted to this
  // listener): Fastify's body reader answers 400 with the stream's message.
  req.on('error', (err) => cutOff(err.message))
}
