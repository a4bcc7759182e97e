import { describe, expect, it } from 'vitest'
import type { FastifyRequest } from 'fastify'
import { MAX_JSON_DEPTH, jsonProblem, parseJsonBody } from './json-body.ts'

function parse(text: string): { err: Error | null; body?: unknown } {
  let out: { err: Error | null; body?: unknown } = { err: null }
  parseJsonBody({} as FastifyRequest, text, (err, body) => (out = { err, body }))
  return out
}

describe('parseJsonBody', () => {
  it('parses ordinary bodies, including ones that merely mention the words', () => {
    expect(parse('{"token":"abc","n":[1,2]}')).toEqual({
      err: null,
      body: { token: 'abc', n: [1, 2] },
    })
    expect(parse('{"note":"constructor of protons","constructor":"x"}').err).toBeNull()
    expect(parse('{"name":"caf\\u00e9"}').body).toEqual({ name: 'café' })
    // A leading byte-order mark is dropped, as Fastify's default parser does.
    expect(parse('\uFEFF{"a":1}')).toEqual({ err: null, body: { a: 1 } })
  })

  it('refuses empty and malformed bodies', () => {
    expect(parse('').err?.message).toMatch(/cannot be empty/)
    expect(parse('{"a":').err?.message).toMatch(/not valid JSON/)
  })

  it('refuses prototype poisoning however it is spelled or nested', () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '{"\\u005f\\u005fproto\\u005f\\u005f":{}}',
      '{"a":[{"b":{"__proto__":null}}]}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '[{"x":{"constructor":{"prototype":1}}}]',
    ]) {
      expect(parse(text).err?.message, text).toMatch(/not valid JSON/)
    }
    expect(jsonProblem({ constructor: { name: 'x' } })).toBeNull()
    expect(jsonProblem({ a: [{ b: 'x\0' }] })).toEqual({ kind: 'nul', path: 'body.a[0].b' })
  })

  it('refuses NUL characters anywhere, and nesting past the limit', () => {
    for (const text of [
      '{"state":"a\\u0000b"}',
      '{"metadata":{"k\\u0000":"v"}}',
      '{"a":[1,{"b":["\\u0000"]}]}',
    ]) {
      expect(parse(text).err?.message, text).toMatch(/NUL characters/)
    }
    // An escaped backslash before "u0000" is text, not a NUL.
    expect(parse('{"note":"\\\\u0000"}').body).toEqual({ note: '\\u0000' })
    const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    expect(parse(nested(MAX_JSON_DEPTH)).err).toBeNull()
    expect(parse(nested(MAX_JSON_DEPTH + 1)).err?.message).toMatch(/levels deep/)
    expect(parse(`{"m":${'['.repeat(5000)}${']'.repeat(5000)}}`).err?.message).toMatch(
      /levels deep/,
    )
  })
})
