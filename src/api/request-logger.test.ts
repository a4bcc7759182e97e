import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { Writable } from 'node:stream'
import { lazyChildLogger } from './request-logger.ts'

describe('lazyChildLogger', () => {
  it('writes with the request bindings only when something is logged', () => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) })
    const parent = pino({ level: 'info' }, sink)
    const child = lazyChildLogger(parent, { reqId: 'req_1' }, {})
    expect(child.level).toBe('info')
    child.debug('hidden')
    child.info({ a: 1 }, 'shown')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ reqId: 'req_1', a: 1, msg: 'shown' })
  })
})
