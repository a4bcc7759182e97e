// Pieces of every request's path that Fastify's defaults make costlier than they need to be:
// the JSON body parser and the per-request child logger (measured by `npm run bench -- tokens`).
import { errorCodes } from 'fastify'
import type { FastifyBaseLogger, FastifyError, FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

/**
 * Parses a JSON body, refusing prototype poisoning as Fastify's default parser does (`__proto__`
 * keys, or `constructor.prototype`) — 400 "Body is not valid JSON" either way.
 *
 * Fastify's default (secure-json-parse) scans every body with two regular expressions before
 * parsing it. A body that holds none of `proto`, `constructor` or a `\u` escape (which could spell
 * them) cannot carry either key, so it is parsed at once; any other body is parsed and then walked.
 */
export function parseJsonBody(
  _req: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const parsed = parseJsonText(typeof body === 'string' ? body : body.toString('utf8'))
  if (parsed.ok) done(null, parsed.value)
  else done(parsed.error, undefined)
}

/** `parseJsonBody` without Fastify: the parsed value, or the error Fastify's parser gives. */
export function parseJsonText(
  raw: string,
): { ok: true; value: unknown } | { ok: false; error: FastifyError } {
  if (raw.length === 0) return { ok: false, error: new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY() }
  // A leading byte-order mark is dropped, as secure-json-parse does.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, error: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() }
  }
  const suspect = text.includes('proto') || text.includes('constructor') || text.includes('\\u')
  if (suspect && poisoned(value)) {
    return { ok: false, error: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() }
  }
  return { ok: true, value }
}

/** Whether a parsed JSON value holds a `__proto__` key or a `constructor` object with `prototype`. */
export function poisoned(value: unknown): boolean {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const node = pending.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      pending.push(...(node as unknown[]))
      continue
    }
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return true
    const record = node as Record<string, unknown>
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor')
      ? record.constructor
      : undefined
    if (
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    ) {
      return true
    }
    for (const key of Object.keys(record)) pending.push(record[key])
  }
  return false
}

/**
 * A request's child logger, made on first use: pino's `child()` serializes its bindings, which
 * most requests (they log nothing of their own) would pay for nothing. One object per request;
 * the methods live on the prototype.
 */
class LazyChildLogger {
  #real: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #log(): FastifyBaseLogger {
    return (this.#real ??= this.parent.child(this.bindings, this.options))
  }
  get level(): string {
    return this.#real?.level ?? this.parent.level
  }
  set level(value: string) {
    this.#log().level = value
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#log().child(bindings, options)
  }
  fatal(...args: unknown[]): void {
    this.#call('fatal', args)
  }
  error(...args: unknown[]): void {
    this.#call('error', args)
  }
  warn(...args: unknown[]): void {
    this.#call('warn', args)
  }
  info(...args: unknown[]): void {
    this.#call('info', args)
  }
  debug(...args: unknown[]): void {
    this.#call('debug', args)
  }
  trace(...args: unknown[]): void {
    this.#call('trace', args)
  }
  silent(): void {}

  #call(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    const log = this.#log()
    Reflect.apply(log[level], log, args)
  }
}

export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options)
}
