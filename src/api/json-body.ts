// The JSON body parser of every request, in place of Fastify's default, which costs more than it
// needs to (measured by `npm run bench -- tokens`); the age token lane parses with it too.
import { errorCodes } from 'fastify'
import type { FastifyError, FastifyRequest } from 'fastify'
import { ApiError } from './errors.ts'

/**
 * Parses a JSON body, refusing prototype poisoning as Fastify's default parser does (`__proto__`
 * keys, or `constructor.prototype`) — 400 "Body is not valid JSON" either way — and refusing
 * with a 400 of its own what the stores cannot keep: a NUL character in a string (PostgreSQL's
 * text and jsonb have no room for one) and nesting deeper than MAX_JSON_DEPTH (serializing it
 * again would overflow the stack).
 *
 * Fastify's default (secure-json-parse) scans every body with two regular expressions before
 * parsing it. A body that holds none of `proto`, `constructor` or a `\u` escape (which could spell
 * them, or a NUL) cannot carry any of these, nor can one too short to nest that deep: such a body
 * is parsed at once; any other body is parsed and then walked.
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

/** Objects and arrays within one another, at most (the documented APIs need a handful). */
export const MAX_JSON_DEPTH = 32

/** `parseJsonBody` without Fastify: the parsed value, or the error Fastify's parser gives. */
export function parseJsonText(
  raw: string,
): { ok: true; value: unknown } | { ok: false; error: FastifyError | ApiError } {
  if (raw.length === 0) return { ok: false, error: new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY() }
  // A leading byte-order mark is dropped, as secure-json-parse does.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, error: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() }
  }
  const suspect =
    text.length > 2 * MAX_JSON_DEPTH ||
    text.includes('proto') ||
    text.includes('constructor') ||
    text.includes('\\u')
  if (!suspect) return { ok: true, value }
  const problem = jsonProblem(value)
  if (problem === null) return { ok: true, value }
  switch (problem.kind) {
    case 'poisoned':
      return { ok: false, error: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY() }
    case 'nul':
      return {
        ok: false,
        error: new ApiError(
          'INVALID_REQUEST_BODY',
          `${problem.path} may not contain NUL characters (\\u0000)`,
        ),
      }
    case 'deep':
      return {
        ok: false,
        error: new ApiError(
          'INVALID_REQUEST_BODY',
          `The body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
        ),
      }
  }
}

/**
 * What makes a parsed JSON value unsafe to take: a `__proto__` key or a `constructor` object with
 * `prototype` ('poisoned'), a NUL character in a key or string ('nul', with where: `body.a.b`),
 * or nesting deeper than MAX_JSON_DEPTH ('deep'); null when it is none of these.
 */
export function jsonProblem(
  value: unknown,
): { kind: 'poisoned' | 'deep' } | { kind: 'nul'; path: string } | null {
  const pending: [unknown, number, string][] = [[value, 0, 'body']]
  while (pending.length > 0) {
    const [node, depth, path] = pending.pop()!
    if (typeof node === 'string') {
      if (node.includes('\0')) return { kind: 'nul', path }
      continue
    }
    if (typeof node !== 'object' || node === null) continue
    if (depth >= MAX_JSON_DEPTH) return { kind: 'deep' }
    if (Array.isArray(node)) {
      const items = node as unknown[]
      for (let i = 0; i < items.length; i++) pending.push([items[i], depth + 1, `${path}[${i}]`])
      continue
    }
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return { kind: 'poisoned' }
    const record = node as Record<string, unknown>
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor')
      ? record.constructor
      : undefined
    if (
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    ) {
      return { kind: 'poisoned' }
    }
    for (const key of Object.keys(record)) {
      if (key.includes('\0')) return { kind: 'nul', path: `${path} key` }
      pending.push([record[key], depth + 1, `${path}.${key}`])
    }
  }
  return null
}
