// Each request's child logger, in place of Fastify's default, which costs more than it needs to
// (measured by `npm run bench -- tokens`). The request log kept in the store is request-log.ts.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

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
