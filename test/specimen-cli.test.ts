// `loom specimen` as a developer runs it: a real `loom` process writes the sample documents,
// and a real `loom inspect` process reads them back with the outcome the manifest promises.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const LOOM = path.resolve(import.meta.dirname, '../bin/loom.js')
// A fixed day, so ages and expiry are the same whenever the suite runs.
const AS_OF = '2026-12-05'

async function loom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [LOOM, ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      maxBuffer: 16 * 1024 * 1024,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

interface ManifestEntry {
  file: string
  kind: string
  side: 'front' | 'back' | 'data page'
  expect: string
  holder: { lastName: string; firstName: string; dateOfBirth: string; expiryDate: string } | null
  documentType: string
}

interface Inspected {
  file: string
  ok: boolean
  documentType?: string
  person?: { lastName: string; firstName: string; dateOfBirth: string }
  document?: { expiryDate: string }
  ageYears?: number
  expired?: boolean
  error?: { code: string; message: string }
}

const tempDirs: string[] = []
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-specimen-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

describe('loom specimen writes every kind it offers, and loom inspect reads them', () => {
  let dir: string
  let written: Awaited<ReturnType<typeof loom>>
  let manifest: { asOf: string; documents: ManifestEntry[] }
  const inspected = new Map<string, Inspected>()

  beforeAll(async () => {
    dir = tempDir()
    written = await loom('specimen', '--out', dir, '--as-of', AS_OF)
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      asOf: string
      documents: ManifestEntry[]
    }
    const files = manifest.documents.map((d) => path.join(dir, d.file))
    const read = await loom('inspect', '--as-of', AS_OF, ...files)
    expect(read.code, read.stderr).toBe(0)
    for (const line of read.stdout.trim().split('\n')) {
      const result = JSON.parse(line) as Inspected
      inspected.set(path.basename(result.file), result)
    }
  }, 120_000)

  it('writes each kind the help lists, every file it names, and a manifest of them', async () => {
    expect(written.code, written.stderr).toBe(0)
    const help = await loom('specimen', '--help')
    expect(help.code).toBe(0)
    const kinds = /Kinds: ([a-z, -]+) \(all by default\)/.exec(help.stdout)?.[1]?.split(', ')
    expect(kinds).toEqual(['passport', 'id-card', 'licence', 'minor', 'expired', 'unreadable'])
    expect(new Set(manifest.documents.map((d) => d.kind))).toEqual(new Set(kinds))
    expect(manifest.asOf).toBe(AS_OF)
    expect(manifest.documents.map((d) => d.file).sort()).toEqual([
      'id-card-back.png',
      'id-card-front.png',
      'licence-back.png',
      'licence-front.png',
      'passport-expired.png',
      'passport-minor.png',
      'passport.png',
      'unreadable.jpg',
    ])
    for (const doc of manifest.documents) {
      const bytes = fs.readFileSync(path.join(dir, doc.file))
      expect(bytes.length, doc.file).toBeGreaterThan(1000)
      // The files are what their names say: PNG or JPEG signatures.
      const png = bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))
      const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8
      expect(doc.file.endsWith('.png') ? png : jpeg, doc.file).toBe(true)
      // Each printed line names the file and the outcome it should get.
      expect(written.stdout).toContain(`${path.join(dir, doc.file)}`)
    }
    expect(written.stdout).toContain('manifest.json')
  })

  it('reads each approvable side as an adult with a valid document, the holder the manifest names', () => {
    const approvable = manifest.documents.filter((d) => d.expect === 'approved')
    expect(approvable.map((d) => d.file).sort()).toEqual([
      'id-card-back.png',
      'licence-back.png',
      'passport.png',
    ])
    for (const doc of approvable) {
      const result = inspected.get(doc.file)
      expect(result?.ok, `${doc.file}: ${JSON.stringify(result?.error)}`).toBe(true)
      expect(result?.documentType).toBe(doc.documentType)
      expect(result?.person?.dateOfBirth).toBe(doc.holder?.dateOfBirth)
      expect(result?.person?.lastName).toBe(doc.holder?.lastName)
      expect(result?.document?.expiryDate).toBe(doc.holder?.expiryDate)
      expect(result?.ageYears, doc.file).toBeGreaterThanOrEqual(18)
      expect(result?.expired, doc.file).toBe(false)
    }
  })

  it('reads the minor as under 18 and the expired passport as expired', () => {
    const minor = manifest.documents.find((d) => d.kind === 'minor')
    expect(minor?.expect).toBe('rejected: underage')
    const readMinor = inspected.get('passport-minor.png')
    expect(readMinor?.ok).toBe(true)
    expect(readMinor?.person?.dateOfBirth).toBe(minor?.holder?.dateOfBirth)
    expect(readMinor?.ageYears).toBeLessThan(18)
    expect(readMinor?.expired).toBe(false)

    const expired = manifest.documents.find((d) => d.kind === 'expired')
    expect(expired?.expect).toBe('rejected: document_expired')
    const readExpired = inspected.get('passport-expired.png')
    expect(readExpired?.ok).toBe(true)
    expect(readExpired?.person?.dateOfBirth).toBe(expired?.holder?.dateOfBirth)
    expect((readExpired?.document?.expiryDate ?? '') < AS_OF).toBe(true)
    expect(readExpired?.expired).toBe(true)
    expect(readExpired?.ageYears).toBeGreaterThanOrEqual(18)
  })

  it('refuses the unreadable photo with a reason, and finds nothing to decide on a front alone', () => {
    const unreadable = manifest.documents.find((d) => d.kind === 'unreadable')
    expect(unreadable?.expect).toBe('unreadable')
    expect(unreadable?.holder).toBeNull()
    const result = inspected.get('unreadable.jpg')
    expect(result?.ok).toBe(false)
    expect(result?.error?.code).toMatch(/^[A-Z_]+$/)
    expect(result?.error?.message.length).toBeGreaterThan(10)
    expect(result?.person).toBeUndefined()
    // The fronts carry no MRZ or barcode: the manifest says to send them with the back.
    for (const front of manifest.documents.filter((d) => d.side === 'front')) {
      expect(front.expect).toBe('front: send it with the back')
      expect(inspected.get(front.file)?.ok, front.file).toBe(false)
    }
  })
})

describe('loom specimen options', () => {
  it('writes only the kinds asked for, the same bytes for the same day', async () => {
    const first = tempDir()
    const second = tempDir()
    const [a, b] = await Promise.all([
      loom('specimen', '--out', first, '--kind', 'passport,minor', '--as-of', AS_OF),
      loom('specimen', '--out', second, '--kind', 'passport', '--kind', 'minor', '--as-of', AS_OF),
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(fs.readdirSync(first).sort()).toEqual([
      'manifest.json',
      'passport-minor.png',
      'passport.png',
    ])
    for (const file of ['passport.png', 'passport-minor.png', 'manifest.json']) {
      expect(
        fs.readFileSync(path.join(first, file)).equals(fs.readFileSync(path.join(second, file))),
        file,
      ).toBe(true)
    }
  }, 60_000)

  it('says what is wrong with bad usage, with exit status 1 and nothing written', async () => {
    const dir = tempDir()
    const notADir = path.join(dir, 'a-file')
    fs.writeFileSync(notADir, 'x')
    const cases: [string[], RegExp][] = [
      [['--kind', 'selfie'], /--kind selfie: not one of passport, id-card/],
      [['--as-of', 'yesterday'], /--as-of must be a date YYYY-MM-DD/],
      [['--as-of', '2026-02-30'], /--as-of must be a date YYYY-MM-DD/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['stray'], /Unexpected argument 'stray'/],
      [['--out', notADir, '--kind', 'passport'], /--out .*a-file.*not a directory|--out .*a-file/],
    ]
    // Two at a time: each is a whole `loom` process, and the machine is shared.
    const results: Awaited<ReturnType<typeof loom>>[] = []
    for (let i = 0; i < cases.length; i += 2) {
      results.push(
        ...(await Promise.all(
          cases.slice(i, i + 2).map(([args]) => {
            const out = args.includes('--out') ? [] : ['--out', path.join(dir, 'out')]
            return loom('specimen', ...out, ...args)
          }),
        )),
      )
    }
    for (const [i, [args, message]] of cases.entries()) {
      const res = results[i]!
      expect(res.code, args.join(' ')).toBe(1)
      expect(res.stderr, args.join(' ')).toMatch(/^loom specimen: /)
      expect(res.stderr, args.join(' ')).toMatch(message)
      // A usage error is one line for a person, not a log record or a stack trace.
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(res.stderr, args.join(' ')).not.toContain('    at ')
    }
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false)
  }, 60_000)
})
