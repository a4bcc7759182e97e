import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateMrzSpecimen } from '../specimen/index.ts'
import { runInspect } from './inspect-cli.ts'
import { inspectImage, inspectMrzText } from './inspect.ts'

const UTOPIA =
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n'

describe('inspectMrzText', () => {
  it('shapes the inspect contract', () => {
    const r = inspectMrzText(UTOPIA, { asOf: '2010-08-11' })
    expect(r).toMatchObject({
      ok: true,
      source: 'mrz',
      documentType: 'passport',
      mrz: { format: 'TD3', valid: true },
      person: {
        lastName: 'ERIKSSON',
        firstName: 'ANNA MARIA',
        sex: 'F',
        dateOfBirth: '1974-08-12',
        nationality: 'UTO',
      },
      document: { number: 'L898902C3', issuer: 'UTO', expiryDate: '2012-04-15', issueDate: null },
      ageYears: 35,
      expired: false,
    })
    expect(inspectMrzText(UTOPIA, { asOf: '2012-04-16' })).toMatchObject({ expired: true })
    expect(inspectMrzText(UTOPIA, { asOf: '2012-04-15' })).toMatchObject({ expired: false })
  })

  it('tolerates surrounding lines', () => {
    const r = inspectMrzText(`Passport scan\n\n${UTOPIA}\n`, { asOf: '2010-01-01' })
    expect(r.ok).toBe(true)
  })

  it('reports a failed check digit as invalid, and text that is no MRZ as not found', () => {
    const bad = UTOPIA.replace('7408122', '7408123')
    const r = inspectMrzText(bad, { asOf: '2010-01-01' })
    expect(r).toMatchObject({ ok: true, mrz: { valid: false, checks: { birthDate: false } } })
    expect(inspectMrzText('hello\nworld', {})).toMatchObject({
      ok: false,
      error: { code: 'MRZ_NOT_FOUND' },
    })
  })
})

describe('inspectImage', () => {
  it('writes debug images when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loom-inspect-'))
    const s = await generateMrzSpecimen(3, { format: 'TD2', asOf: '2026-06-01', pxPerMm: 9 })
    const r = await inspectImage(s.image, { asOf: '2026-06-01', debugDir: dir })
    expect(r.ok).toBe(true)
    const files = await readdir(dir)
    expect(files.some((f) => f.includes('mrz-line'))).toBe(true)
  })

  it('turns bad bytes into an error result', async () => {
    const r = await inspectImage(new TextEncoder().encode('not an image'))
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_INVALID_FORMAT' } })
  })
})

describe('runInspect', () => {
  const run = async (argv: string[]) => {
    const lines: string[] = []
    const status = await runInspect(argv, (l) => lines.push(l))
    return { status, lines }
  }

  it('prints one JSON line per file and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loom-cli-'))
    const mrz = join(dir, 'mrz.txt')
    const junk = join(dir, 'junk.jpg')
    await writeFile(mrz, UTOPIA)
    await writeFile(junk, 'junk')
    const text = await run(['--mrz-text', mrz, '--as-of', '2010-01-01'])
    expect(text.status).toBe(0)
    expect(JSON.parse(text.lines[0]!)).toMatchObject({ file: mrz, ok: true, ageYears: 35 })
    const image = await run([junk])
    expect(image.status).toBe(0)
    expect(JSON.parse(image.lines[0]!)).toMatchObject({
      file: junk,
      ok: false,
      error: { code: 'DOCUMENT_INVALID_FORMAT' },
    })
  })

  it('exits 1 on usage errors', async () => {
    expect((await run([])).status).toBe(1)
    expect((await run(['--as-of', '2010-13-01', 'x'])).status).toBe(1)
    expect((await run(['--bogus', 'x'])).status).toBe(1)
    expect((await run(['/nonexistent/file.png'])).status).toBe(1)
  })

  it('prints help', async () => {
    const r = await run(['--help'])
    expect(r.status).toBe(0)
    expect(r.lines.join('\n')).toMatch(/--mrz-text/)
  })
})
