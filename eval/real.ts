// `npm run eval real`: the current reader on REAL images and payloads — specimen and sample
// documents that public repositories keep as test data — scored against hand-transcribed ground
// truth (eval/corpus/*.json, described in eval/corpus/README.md). The bytes are not in this
// repository: each item names a repository snapshot, a commit and a path, read at run time with
// `git show`. Items whose snapshot is absent are listed and skipped, never silently dropped.
//   read      every key field right
//   wrong     a reading that passed as valid with some key field wrong (which field is listed)
//   flagged   no reading, or a reading reported invalid, by error code; or a birth year that
//             fits two centuries left undecided ('birthCentury_undecided') with the true date
//             among the two given
//   invalid→valid  a specimen whose printed check digits are wrong, or whose lines are printed
//             with the wrong number of characters, reported valid (must be 0)
// Licence-back images (barcode-real.json) have partial truth: the issuer always, the licence
// number and the start of the first name where known. PDF417 photos (pdf417-photos.json) are
// judged on the symbol's exact text.
// Options: --split tuning|heldout|all (default all), --verbose (each miss with its code and
// message), --mirror DIR (where fetched snapshots live, default /work/.mirror), --mrz-reader
// templates|ppocr|vote (which MRZ reader decides; default vote, as Loom runs), --turns (each
// MRZ image read upright is read again turned 90°, 180° and 270°, without EXIF), --framed (and
// again in a larger frame, taking 50 %, 25 % and 15 % of its area), --small (and again scaled
// down until its capitals are 10 and 8 px tall), --small-sweep (at six sizes from 11 to 7 px,
// JPEG 70), --pool (first, the MRZ and
// licence-back images through Loom's engine pool as the server runs it, with its memory).

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { inspectAamvaText } from '../src/engine/aamva/inspect-text.ts'
import { readPdf417 } from '../src/engine/aamva/pdf417.ts'
import { decodeColorImage, decodeDocumentImage, sniffFormat } from '../src/engine/intake.ts'
import { inspectImage } from '../src/engine/inspect.ts'
import { createEnginePool } from '../src/engine/pool.ts'
import type { InspectResult } from '../src/engine/types.ts'
import type { MrzReaderMode } from '../src/engine/mrz/vote.ts'
import { linesAgree, nameUnresolved } from './mrz-judge.ts'

const CORPUS = new URL('./corpus/', import.meta.url)
const DEFAULT_MIRROR = '/work/.mirror'

type Split = 'tuning' | 'heldout'

interface SourceRef {
  head: string
  /** Git directory of the fetched snapshot, relative to the mirror directory. */
  gitDir: string
  license: string
}

interface ItemRef {
  id: string
  source: string
  commit: string
  path: string
  /** Git blob id of the bytes: what is read must hash to this. */
  blob: string
  split: Split
}

interface MrzItem extends ItemRef {
  format: string
  lines: string[]
  printedCheckDigitsInvalid: boolean
  /** The zone is printed with lines of the wrong length: not an ICAO MRZ, whatever it says. */
  printedLinesMalformed?: boolean
  /** The issuer code is not one ICAO 9303-3 lists (a printer's fictional state): not valid either. */
  issuerNotIcao?: boolean
  expected: {
    documentNumber: string | null
    birthDate: string | null
    expiryDate: string | null
    sex: 'F' | 'M' | 'X' | null
    nationality: string | null
    issuer: string | null
    surname: string | null
    givenNames: string | null
  }
}

/**
 * Where a payload sits in a fetched file: the whole file, string literals on some lines (quoted
 * with `"` unless `quote` says `'`), a template literal, a URL-encoded string literal (C# tests
 * that decode it with UrlDecode), or the text between the first `open` on `line` and the next
 * `close` (Python's and Dart's triple-quoted strings, PHP's heredocs), escapes decoded unless
 * `raw`.
 */
type PayloadExtract =
  | { kind: 'file' }
  | { kind: 'string-literals'; fromLine: number; toLine: number; quote?: '"' | "'" }
  | { kind: 'template-literal'; line: number }
  | { kind: 'url-encoded-literal'; line: number }
  | { kind: 'delimited'; line: number; open: string; close: string; raw?: boolean }

interface AamvaItem extends ItemRef {
  extract: PayloadExtract
  expected: {
    version: number
    iin: string
    jurisdiction: string | null
    dateOfBirth: string | null
    expiryDate: string | null
    lastName: string | null
    firstName: string | null
  }
}

/** A licence back (PDF417); the payload is unpublished, so the truth is partial (null = unknown). */
interface BarcodeItem extends ItemRef {
  expected: {
    /** Null for a made-up issuer (a specification's fictional state). */
    jurisdiction: string | null
    documentNumber: string | null
    firstNamePrefix: string | null
  }
}

/** A photo of a printed PDF417 symbol whose exact text is kept beside it in the same snapshot. */
interface Pdf417PhotoItem extends ItemRef {
  truthPath: string
  truthBlob: string
}

interface Manifest<T> {
  asOf: string
  sources: Record<string, SourceRef>
  items: T[]
}

type Result = 'read' | 'wrong' | 'flagged' | 'invalid_reported_valid' | 'invalid_flagged'

interface Outcome {
  id: string
  split: Split
  group: string
  result: Result
  /** Wrong fields, or the error code of a flagged item. */
  why: string[]
  detail: string
  ms: number
  /** Capital height (px) of a read MRZ, as the reader measured it. */
  glyphPx?: number
}

interface Missing {
  id: string
  split: Split
  reason: string
}

function loadManifest<T>(name: string): Manifest<T> | null {
  const url = new URL(name, CORPUS)
  if (!existsSync(url)) return null
  return JSON.parse(readFileSync(url, 'utf8')) as Manifest<T>
}

/** Git's blob id of some bytes (sha1 of "blob <length>\0" + bytes). */
function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

/** The item's bytes from its fetched snapshot, or why they could not be had. */
function readItem(
  mirror: string,
  sources: Record<string, SourceRef>,
  item: ItemRef,
): Buffer | { missing: string } {
  const source = sources[item.source]
  if (!source) return { missing: `source ${item.source} is not in the manifest` }
  const gitDir = join(mirror, source.gitDir)
  if (!existsSync(gitDir)) return { missing: `no snapshot of ${item.source} at ${gitDir}` }
  let bytes: Buffer
  try {
    bytes = execFileSync('git', [`--git-dir=${gitDir}`, 'show', `${item.commit}:${item.path}`], {
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)
    return { missing: `git show ${item.commit.slice(0, 10)}:${item.path} failed: ${stderr}` }
  }
  const id = gitBlobId(bytes)
  if (id !== item.blob) return { missing: `bytes hash to ${id}, the manifest says ${item.blob}` }
  return bytes
}

// Escapes found in string literals of Python, JS, Swift, Kotlin and C# test files.
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' }

function unescape(literal: string): string {
  return literal.replace(
    /\\(u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|.)/g,
    (_all, esc: string, braced?: string, u4?: string, x2?: string) => {
      const hex = braced ?? u4 ?? x2
      if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16))
      return ESCAPES[esc] ?? esc
    },
  )
}

/** Concatenates the string literals on lines [from, to] (1-based), escapes decoded. */
function stringLiterals(text: string, fromLine: number, toLine: number, quote = '"'): string {
  const lines = text.split('\n').slice(fromLine - 1, toLine)
  const literal = new RegExp(`${quote}((?:[^${quote}\\\\]|\\\\.)*)${quote}`, 'g')
  let out = ''
  for (const line of lines) {
    for (const m of line.matchAll(literal)) out += unescape(m[1] ?? '')
  }
  return out
}

/** The text between the first `open` on `line` (1-based) and the next `close`. */
function delimited(text: string, line: number, open: string, close: string): string {
  const start =
    text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length + (line > 1 ? 1 : 0)
  const from = text.indexOf(open, start)
  const to = from < 0 ? -1 : text.indexOf(close, from + open.length)
  if (to < 0) throw new Error(`no ${open}…${close} at line ${line}`)
  return text.slice(from + open.length, to)
}

/** The JS template literal opening on `line` (1-based), up to its closing backtick, escapes decoded. */
function templateLiteral(text: string, line: number): string {
  const start =
    text
      .split('\n')
      .slice(0, line - 1)
      .join('\n').length + (line > 1 ? 1 : 0)
  const open = text.indexOf('`', start)
  const close = open < 0 ? -1 : text.indexOf('`', open + 1)
  if (close < 0) throw new Error(`no template literal at line ${line}`)
  return unescape(text.slice(open + 1, close))
}

/**
 * URL decoding as .NET's HttpUtility.UrlDecode does it: '+' is a space, each %XX a byte, and the
 * bytes are read as UTF-8. A '%' not followed by two hex digits is kept as it is, not an error.
 */
function urlDecode(text: string): string {
  // Split with a capturing group: the %XX escapes land at the odd indices.
  const parts = text.replace(/\+/g, ' ').split(/(%[0-9a-fA-F]{2})/)
  const bytes = parts.map((part, i) =>
    i % 2 === 1 ? Buffer.of(parseInt(part.slice(1), 16)) : Buffer.from(part, 'utf8'),
  )
  return Buffer.concat(bytes).toString('utf8')
}

/** The first double-quoted string literal on `line` (1-based), escapes decoded, then URL-decoded. */
function urlEncodedLiteral(text: string, line: number): string {
  const m = /"((?:[^"\\]|\\.)*)"/.exec(text.split('\n')[line - 1] ?? '')
  if (!m) throw new Error(`no string literal at line ${line}`)
  return urlDecode(unescape(m[1] ?? ''))
}

/** The payload an item points at, cut out of the fetched file as its manifest says. */
export function payloadOf(bytes: Buffer, extract: PayloadExtract): Uint8Array | string {
  switch (extract.kind) {
    case 'file':
      return bytes
    case 'string-literals':
      return stringLiterals(bytes.toString('utf8'), extract.fromLine, extract.toLine, extract.quote)
    case 'template-literal':
      return templateLiteral(bytes.toString('utf8'), extract.line)
    case 'url-encoded-literal':
      return urlEncodedLiteral(bytes.toString('utf8'), extract.line)
    case 'delimited': {
      const inner = delimited(bytes.toString('utf8'), extract.line, extract.open, extract.close)
      return extract.raw ? inner : unescape(inner)
    }
  }
}

/** Key fields of an MRZ reading that differ from the truth ('birthCentury' when only the century does). */
function mrzFieldsWrong(item: MrzItem, r: InspectResult & { ok: true }, asOf: string): string[] {
  const e = item.expected
  const wrong: string[] = []
  if (r.source !== 'mrz') return ['source']
  if (!linesAgree(r.mrz, item.lines, asOf)) wrong.push('lines')
  if (r.document.number !== e.documentNumber) wrong.push('documentNumber')
  if (r.person.dateOfBirth !== e.birthDate) {
    const sameDay = r.person.dateOfBirth?.slice(2) === e.birthDate?.slice(2)
    wrong.push(sameDay && e.birthDate !== null ? 'birthCentury' : 'birthDate')
  }
  if (r.document.expiryDate !== e.expiryDate) wrong.push('expiryDate')
  if (r.person.sex !== e.sex) wrong.push('sex')
  if (r.person.nationality !== e.nationality) wrong.push('nationality')
  if (r.document.issuer !== e.issuer) wrong.push('issuer')
  // A name left unresolved is null; its readings were judged with the lines.
  const open = new Set((r.mrz?.unresolved ?? []).map((u) => u.field))
  if (r.person.lastName !== e.surname && !open.has('lastName')) wrong.push('surname')
  if (r.person.firstName !== e.givenNames && !open.has('firstName')) wrong.push('givenNames')
  return wrong
}

function judgeMrz(
  item: MrzItem,
  r: InspectResult,
  asOf: string,
): { result: Result; why: string[] } {
  if (item.printedCheckDigitsInvalid || item.printedLinesMalformed || item.issuerNotIcao) {
    const reportedValid = r.ok && r.mrz?.valid === true
    return reportedValid
      ? { result: 'invalid_reported_valid', why: ['valid'] }
      : { result: 'invalid_flagged', why: [r.ok ? 'reported_invalid' : r.error.code] }
  }
  if (!r.ok) return { result: 'flagged', why: [r.error.code] }
  if (r.mrz && !r.mrz.valid) return { result: 'flagged', why: ['reported_invalid'] }
  const wrong = mrzFieldsWrong(item, r, asOf)
  // Two candidate birth dates, the true one among them, and every other field right: the reader
  // declined to guess the century (a decision sends it to review), which is not a wrong reading.
  const candidates = r.person.dateOfBirthCandidates ?? []
  if (
    r.person.dateOfBirth === null &&
    item.expected.birthDate !== null &&
    candidates.includes(item.expected.birthDate) &&
    wrong.every((w) => w === 'birthDate')
  ) {
    return { result: 'flagged', why: ['birthCentury_undecided'] }
  }
  if (wrong.length > 0) return { result: 'wrong', why: wrong }
  // A name left unresolved between two valid readings, the true one among them: not read (a
  // decision that needs the name reviews it), not wrong.
  if (nameUnresolved(r.mrz)) return { result: 'flagged', why: ['name_unresolved'] }
  return { result: 'read', why: r.mrz?.unresolved ? ['optionalData_unresolved'] : [] }
}

function judgeAamva(item: AamvaItem, r: InspectResult): { result: Result; why: string[] } {
  if (!r.ok) return { result: 'flagged', why: [r.error.code] }
  const e = item.expected
  const wrong: string[] = []
  if (r.source !== 'aamva') wrong.push('source')
  if (r.aamva?.version !== e.version) wrong.push('version')
  if (r.aamva?.iin !== e.iin) wrong.push('iin')
  // A made-up IIN (a sample's 000000 or 700000) has no issuer; naming the address's jurisdiction
  // with the IIN marked unknown says as much.
  const unknownIin = e.jurisdiction === null && r.checks?.iinKnown === false
  if (r.aamva?.jurisdiction !== e.jurisdiction && !unknownIin) wrong.push('jurisdiction')
  if (r.person.dateOfBirth !== e.dateOfBirth) wrong.push('dateOfBirth')
  // An expiry the reading refuses as no plausible date (a sample's year 3021 or 5000) and says
  // so is declined, not misread.
  const expiryRefused =
    r.document.expiryDate === null && (r.aamva?.repairs ?? []).includes('expiry_date_refused')
  if (r.document.expiryDate !== e.expiryDate && !expiryRefused) wrong.push('expiryDate')
  if (r.person.lastName !== e.lastName) wrong.push('lastName')
  if (r.person.firstName !== e.firstName) wrong.push('firstName')
  if (wrong.length > 0) return { result: 'wrong', why: wrong }
  if (expiryRefused && e.expiryDate !== null)
    return { result: 'flagged', why: ['expiry_date_refused'] }
  if (unknownIin && r.aamva?.jurisdiction !== null) return { result: 'flagged', why: ['iinKnown'] }
  return { result: 'read', why: [] }
}

function judgeBarcode(item: BarcodeItem, r: InspectResult): { result: Result; why: string[] } {
  if (!r.ok) return { result: 'flagged', why: [r.error.code] }
  const e = item.expected
  const wrong: string[] = []
  if (r.source !== 'aamva') wrong.push('source')
  if (e.documentNumber !== null && r.document.number !== e.documentNumber)
    wrong.push('documentNumber')
  if (e.firstNamePrefix !== null && !(r.person.firstName ?? '').startsWith(e.firstNamePrefix)) {
    wrong.push('firstName')
  }
  if (r.aamva?.jurisdiction !== e.jurisdiction) {
    // A payload whose IIN names another issuer than its own jurisdiction element, reported with
    // that check failed and every other known field right, is flagged, not silently wrong; so is
    // a made-up IIN read with `iinKnown` false (as for the payloads).
    if (wrong.length === 0 && r.checks?.iinMatchesJurisdiction === false) {
      return { result: 'flagged', why: ['iinMatchesJurisdiction'] }
    }
    if (wrong.length === 0 && e.jurisdiction === null && r.checks?.iinKnown === false) {
      return { result: 'flagged', why: ['iinKnown'] }
    }
    wrong.push('jurisdiction')
  }
  return wrong.length === 0 ? { result: 'read', why: [] } : { result: 'wrong', why: wrong }
}

/**
 * A PDF417 photo through the steps `inspectImage` takes for a barcode (intake, then the PDF417
 * reader with its defaults), judged on the exact bytes: read, wrong (other text), or flagged.
 */
async function readSymbol(
  bytes: Buffer,
  truth: Buffer,
): Promise<{ result: Result; why: string[]; detail: string }> {
  const decoded = await decodeDocumentImage(bytes)
  if (!decoded.ok)
    return { result: 'flagged', why: [decoded.error.code], detail: decoded.error.message }
  const r = await readPdf417(decoded.image)
  if (!r.ok)
    return { result: 'flagged', why: [r.fail], detail: `${r.fail} after ${r.attempts} tries` }
  const same = Buffer.from(r.bytes).equals(truth)
  return {
    result: same ? 'read' : 'wrong',
    why: same ? [] : ['text'],
    detail: `${r.bytes.length} bytes, ${r.strategy}`,
  }
}

function describe(r: InspectResult): string {
  if (!r.ok) return `${r.error.code}: ${r.error.message}`
  if (r.source === 'mrz') {
    const century = r.person.dateOfBirthCandidates ? ' (birth century undecided)' : ''
    return `${r.mrz?.valid ? 'valid' : 'INVALID'} ${r.mrz?.lines.join(' / ')}${century}`
  }
  return `aamva v${r.aamva?.version} ${r.aamva?.iin} ${r.person.lastName}, ${r.person.firstName} dob ${r.person.dateOfBirth} exp ${r.document.expiryDate} repairs ${r.aamva?.repairs?.join(',') || '-'}`
}

const pct = (k: number, n: number): string => (n ? `${((100 * k) / n).toFixed(1)} %` : '-')

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

function countBy(keys: string[]): string {
  const m = new Map<string, number>()
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1)
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
}

function printTable(title: string, outcomes: Outcome[], skipped: Missing[], splits: Split[]): void {
  console.log(`\n## ${title}\n`)
  console.log(
    '| split | scored | skipped | documents | read | wrong | flagged | invalid→valid | invalid flagged | median ms | p95 ms |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const rows: [string, Outcome[], Missing[]][] = splits.map((s) => [
    s,
    outcomes.filter((o) => o.split === s),
    skipped.filter((m) => m.split === s),
  ])
  if (splits.length > 1) rows.push(['all', outcomes, skipped])
  for (const [name, os, gone] of rows) {
    const n = os.length
    const c = (r: Result): number => os.filter((o) => o.result === r).length
    const genuine = n - c('invalid_reported_valid') - c('invalid_flagged')
    const ms = os.map((o) => o.ms)
    console.log(
      `| ${name} | ${n} | ${gone.length} | ${new Set(os.map((o) => o.group)).size} | ${c('read')} (${pct(c('read'), genuine)}) | ${c('wrong')} (${pct(c('wrong'), genuine)}) | ${c('flagged')} (${pct(c('flagged'), genuine)}) | ${c('invalid_reported_valid')} | ${c('invalid_flagged')} | ${quantile(ms, 0.5)} | ${quantile(ms, 0.95)} |`,
    )
  }
  console.log()
  for (const [name, os] of rows) {
    const wrong = os.filter((o) => o.result === 'wrong').flatMap((o) => o.why)
    const flagged = os.filter((o) => o.result === 'flagged').flatMap((o) => o.why)
    console.log(
      `${name}: wrong fields: ${countBy(wrong) || '-'}; flagged by code: ${countBy(flagged) || '-'}`,
    )
  }
  console.log('\n(percentages are of the items whose printed check digits are right)')
}

function printMissing(missing: Missing[]): void {
  console.log(`\nskipped, bytes not available: ${missing.length}`)
  for (const m of missing) console.log(`  ${m.id}: ${m.reason}`)
}

/**
 * One way of changing an image read upright before it is read again (`--turns`, `--framed`,
 * `--small`); `glyphPx` is its MRZ's capital height as read upright, when the reading gave one.
 */
interface Variant {
  label: string
  make: (upright: Buffer, glyphPx: number | undefined) => Promise<Buffer>
}

/**
 * `--turns`: turned a quarter, half and three quarters, re-encoded as JPEG 92 without EXIF, so
 * the reader must find the way up itself.
 */
const TURNS: Variant[] = [90, 180, 270].map((turn) => ({
  label: `${turn}°`,
  make: (upright) => sharp(upright).rotate(turn).jpeg({ quality: 92 }).toBuffer(),
}))

/**
 * `--framed`: at its own resolution in the middle of a larger frame (a plain grey-brown desk,
 * JPEG 92), taking half, a quarter and 15 % of its area: a document photographed from further
 * away with a sensor of more pixels.
 */
const FRAMES: Variant[] = [0.5, 0.25, 0.15].map((share) => ({
  label: `${Math.round(share * 100)} %`,
  make: async (upright) => {
    const { width = 0, height = 0 } = await sharp(upright).metadata()
    const k = Math.sqrt(1 / share)
    const [fw, fh] = [Math.round(width * k), Math.round(height * k)]
    return sharp({ create: { width: fw, height: fh, channels: 3, background: '#7d6e5f' } })
      .composite([{ input: upright, left: (fw - width) >> 1, top: (fh - height) >> 1 }])
      .jpeg({ quality: 92 })
      .toBuffer()
  },
}))

/**
 * `--small`: scaled down (Lanczos, JPEG 92) until its MRZ's capitals are 10 and 8 px tall, the
 * band between the size a failed reading is put down to (12 px) and the smallest a reading is
 * accepted at (7 px); an image already that small is read as it is. `--small-sweep`: the same
 * at six sizes from 11 to 7 px, compressed as a phone does (JPEG 70).
 */
const smallVariants = (sizes: number[], quality: number): Variant[] =>
  sizes.map((px) => ({
    label: `${px} px`,
    make: async (upright, glyphPx) => {
      const { width = 0 } = await sharp(upright).metadata()
      // A height unknown is taken as already small: the image is read as it is.
      const k = glyphPx === undefined ? 1 : Math.min(1, px / glyphPx)
      return sharp(upright)
        .resize(Math.round(width * k), null, { kernel: 'lanczos3' })
        .jpeg({ quality })
        .toBuffer()
    },
  }))
const SMALL = smallVariants([10, 8], 92)
const SMALL_SWEEP = smallVariants([11, 9.5, 9, 8.5, 7.5, 7], 70)

/** The image upright (EXIF applied) as PNG; BMP, which sharp cannot open, through intake. */
async function uprightPng(bytes: Buffer): Promise<Buffer | null> {
  if (sniffFormat(bytes) !== 'bmp') return sharp(bytes).rotate().png().toBuffer()
  const decoded = await decodeColorImage(bytes)
  if (!decoded.ok) return null
  const { width, height, rgb } = decoded.image
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer()
}

/** Every image read upright, changed by each variant and read again: a table per split. */
async function printRereads(
  title: string,
  variants: Variant[],
  mrz: Manifest<MrzItem & { group: string }>,
  items: (MrzItem & { group: string })[],
  outcomes: Outcome[],
  mirror: string,
  mrzReader: MrzReaderMode,
  splits: Split[],
  verbose: boolean,
): Promise<void> {
  const read = new Map(outcomes.filter((o) => o.result === 'read').map((o) => [o.id, o.glyphPx]))
  const rows: Record<
    string,
    Record<string, { read: number; wrong: number; n: number; ms: number[]; fields: string[] }>
  > = {}
  for (const item of items.filter((i) => read.has(i.id))) {
    const bytes = readItem(mirror, mrz.sources, item)
    if (!Buffer.isBuffer(bytes)) continue
    const upright = await uprightPng(bytes)
    if (!upright) continue
    for (const v of variants) {
      const changed = await v.make(upright, read.get(item.id))
      const t0 = performance.now()
      const r = await inspectImage(changed, { asOf: mrz.asOf, mrzReader })
      const row = ((rows[item.split] ??= {})[v.label] ??= {
        read: 0,
        wrong: 0,
        n: 0,
        ms: [],
        fields: [],
      })
      row.n++
      row.ms.push(Math.round(performance.now() - t0))
      const judged = judgeMrz(item, r, mrz.asOf)
      if (judged.result === 'read') row.read++
      else {
        if (judged.result === 'wrong') {
          row.wrong++
          row.fields.push(...judged.why)
        }
        if (verbose) {
          console.log(
            `${judged.result.padEnd(9)} ${item.id} (${v.label}) [${judged.why.join(',')}]`,
          )
        }
      }
    }
  }
  console.log(`\n## MRZ, real images read upright, ${title}\n`)
  console.log('| split | variant | read | wrong | wrong fields | median ms | p95 ms |')
  console.log('|---|---:|---:|---:|---|---:|---:|')
  for (const split of splits) {
    for (const v of variants) {
      const row = rows[split]?.[v.label]
      if (!row) continue
      console.log(
        `| ${split} | ${v.label} | ${row.read} of ${row.n} | ${row.wrong} | ${countBy(row.fields) || '-'} | ${quantile(row.ms, 0.5)} | ${quantile(row.ms, 0.95)} |`,
      )
    }
  }
}

/** Resident memory of this process (bytes), the engine pool's threads included. */
const rss = (): number => process.memoryUsage().rss

/**
 * `--pool`: the images read as the server reads them — through the engine pool (worker threads,
 * one per core, the default time budget), one at a time after each thread has read one — with
 * the process's resident memory before the pool starts and at its peak while it reads. The
 * threads live in this process, so the difference is the pool's footprint with its models loaded.
 */
async function printPoolRun(images: { bytes: Buffer; asOf: string }[]): Promise<void> {
  const threads = os.availableParallelism()
  const before = rss()
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50)
  const pool = createEnginePool(threads)
  const budgetMs = 5000
  try {
    const warm = images.slice(0, threads)
    await Promise.all(warm.map((i) => pool.inspect(i, budgetMs)))
    const warmed = rss()
    const ms: number[] = []
    let read = 0
    for (const image of images) {
      const t0 = performance.now()
      const r = await pool.inspect(image, budgetMs)
      ms.push(Math.round(performance.now() - t0))
      if (r.ok) read++
    }
    peak = Math.max(peak, rss())
    const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`
    console.log(
      `\n## Engine pool: ${images.length} MRZ and licence-back images as the server reads them\n`,
    )
    console.log(
      '| threads | images | read | median ms | p95 ms | RSS before | RSS warmed | RSS peak |',
    )
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|')
    console.log(
      `| ${threads} | ${images.length} | ${read} | ${quantile(ms, 0.5)} | ${quantile(ms, 0.95)} | ${mib(before)} | ${mib(warmed)} | ${mib(peak)} |`,
    )
    console.log('\n(RSS is the whole eval process: before = Node and the modules, no model loaded)')
  } finally {
    clearInterval(sampler)
    await pool.close()
  }
}

/** Runs the real-corpus evaluation (MRZ images, AAMVA payloads) and prints its tables. */
export async function runRealEval(args: string[]): Promise<void> {
  const splitArg = args.find((a, i) => args[i - 1] === '--split') ?? 'all'
  if (!['tuning', 'heldout', 'all'].includes(splitArg)) {
    throw new Error(`--split takes tuning, heldout or all; got ${splitArg}`)
  }
  const splits: Split[] = splitArg === 'all' ? ['tuning', 'heldout'] : [splitArg as Split]
  const mirror = args.find((a, i) => args[i - 1] === '--mirror') ?? DEFAULT_MIRROR
  const verbose = args.includes('--verbose')
  const turns = args.includes('--turns')
  const framed = args.includes('--framed')
  const small = args.includes('--small')
  const smallSweep = args.includes('--small-sweep')
  const readerArg = args.find((a, i) => args[i - 1] === '--mrz-reader') ?? 'vote'
  if (!['templates', 'ppocr', 'vote'].includes(readerArg)) {
    throw new Error(`--mrz-reader takes templates, ppocr or vote; got ${readerArg}`)
  }
  const mrzReader = readerArg as MrzReaderMode

  const mrz = loadManifest<MrzItem & { group: string }>('mrz-real.json')
  const aamva = loadManifest<AamvaItem & { group: string }>('aamva-real.json')
  const barcode = loadManifest<BarcodeItem & { group: string }>('barcode-real.json')
  const missing: Missing[] = []

  if (args.includes('--pool')) {
    // Before anything here loads a model, so that the memory measured is the pool's.
    const images = [mrz, barcode].flatMap((m) =>
      (m?.items ?? [])
        .filter((i) => splits.includes(i.split))
        .map((i) => readItem(mirror, m!.sources, i))
        .filter((b): b is Buffer => Buffer.isBuffer(b))
        .map((bytes) => ({ bytes, asOf: m!.asOf })),
    )
    await printPoolRun(images)
  }

  if (mrz) {
    const items = mrz.items.filter((i) => splits.includes(i.split))
    console.log(
      `Real MRZ images: ${items.length} items (split ${splitArg}, reader ${mrzReader}), as of ${mrz.asOf}`,
    )
    const outcomes: Outcome[] = []
    const firstMissing = missing.length
    let warmed = false
    for (const item of items) {
      const bytes = readItem(mirror, mrz.sources, item)
      if (!Buffer.isBuffer(bytes)) {
        missing.push({ id: item.id, split: item.split, reason: bytes.missing })
        continue
      }
      if (!warmed) {
        // Load the OCR-B templates once, outside the timings.
        await inspectImage(bytes, { asOf: mrz.asOf, mrzReader })
        warmed = true
      }
      const t0 = performance.now()
      const r = await inspectImage(bytes, { asOf: mrz.asOf, mrzReader })
      const ms = Math.round(performance.now() - t0)
      const { result, why } = judgeMrz(item, r, mrz.asOf)
      outcomes.push({
        id: item.id,
        split: item.split,
        group: item.group,
        result,
        why,
        detail: describe(r),
        ms,
        ...(r.ok && r.mrz?.glyphHeightPx !== undefined && { glyphPx: r.mrz.glyphHeightPx }),
      })
      if (verbose && result !== 'read' && result !== 'invalid_flagged') {
        console.log(
          `${result.padEnd(9)} ${item.id} [${why.join(',')}] ${ms} ms\n  truth ${item.lines.join(' / ')}\n  got   ${describe(r)}`,
        )
      }
    }
    printTable('MRZ, real images (inspectImage)', outcomes, missing.slice(firstMissing), splits)
    // Where the time goes: the slowest items by id, result and time only.
    const slowest = [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 5)
    console.log(
      `slowest: ${slowest.map((o) => `${o.id} (${o.split}, ${o.result}) ${o.ms} ms`).join('; ')}\n`,
    )
    const rereads: [boolean, string, Variant[]][] = [
      [turns, 'turned (JPEG 92, no EXIF)', TURNS],
      [framed, 'in a larger frame (JPEG 92)', FRAMES],
      [small, 'scaled down to small capitals (JPEG 92)', SMALL],
      [smallSweep, 'scaled down to small capitals (JPEG 70)', SMALL_SWEEP],
    ]
    for (const [wanted, title, variants] of rereads) {
      if (wanted) {
        await printRereads(
          title,
          variants,
          mrz,
          items,
          outcomes,
          mirror,
          mrzReader,
          splits,
          verbose,
        )
      }
    }
  }

  if (aamva) {
    const items = aamva.items.filter((i) => splits.includes(i.split))
    console.log(
      `\nReal AAMVA payloads: ${items.length} items (split ${splitArg}), as of ${aamva.asOf}`,
    )
    const outcomes: Outcome[] = []
    const firstMissing = missing.length
    for (const item of items) {
      const bytes = readItem(mirror, aamva.sources, item)
      if (!Buffer.isBuffer(bytes)) {
        missing.push({ id: item.id, split: item.split, reason: bytes.missing })
        continue
      }
      const payload = payloadOf(bytes, item.extract)
      const t0 = performance.now()
      const r = inspectAamvaText(payload, { asOf: aamva.asOf })
      const ms = Math.round((performance.now() - t0) * 10) / 10
      const { result, why } = judgeAamva(item, r)
      outcomes.push({
        id: item.id,
        split: item.split,
        group: item.group,
        result,
        why,
        detail: describe(r),
        ms,
      })
      if (verbose && result !== 'read') {
        console.log(`${result.padEnd(9)} ${item.id} [${why.join(',')}]\n  got   ${describe(r)}`)
      }
    }
    printTable(
      'AAMVA, real payloads (inspectAamvaText)',
      outcomes,
      missing.slice(firstMissing),
      splits,
    )
  }

  if (barcode) {
    const items = barcode.items.filter((i) => splits.includes(i.split))
    console.log(
      `\nReal licence-back images: ${items.length} items (split ${splitArg}), as of ${barcode.asOf}`,
    )
    const outcomes: Outcome[] = []
    const firstMissing = missing.length
    for (const item of items) {
      const bytes = readItem(mirror, barcode.sources, item)
      if (!Buffer.isBuffer(bytes)) {
        missing.push({ id: item.id, split: item.split, reason: bytes.missing })
        continue
      }
      const t0 = performance.now()
      const r = await inspectImage(bytes, { asOf: barcode.asOf })
      const ms = Math.round(performance.now() - t0)
      const { result, why } = judgeBarcode(item, r)
      outcomes.push({
        id: item.id,
        split: item.split,
        group: item.group,
        result,
        why,
        detail: describe(r),
        ms,
      })
      if (verbose && result !== 'read') {
        console.log(
          `${result.padEnd(9)} ${item.id} [${why.join(',')}] ${ms} ms\n  got   ${describe(r)}`,
        )
      }
    }
    printTable(
      'PDF417 licence backs, real images (inspectImage; partial truth)',
      outcomes,
      missing.slice(firstMissing),
      splits,
    )
  }

  const photos = loadManifest<Pdf417PhotoItem & { group: string }>('pdf417-photos.json')
  if (photos) {
    const items = photos.items.filter((i) => splits.includes(i.split))
    console.log(`\nPDF417 photos: ${items.length} items (split ${splitArg})`)
    const outcomes: Outcome[] = []
    const firstMissing = missing.length
    for (const item of items) {
      const bytes = readItem(mirror, photos.sources, item)
      const truth = readItem(mirror, photos.sources, {
        ...item,
        path: item.truthPath,
        blob: item.truthBlob,
      })
      if (!Buffer.isBuffer(bytes) || !Buffer.isBuffer(truth)) {
        const why = [bytes, truth].find((b) => !Buffer.isBuffer(b)) as { missing: string }
        missing.push({ id: item.id, split: item.split, reason: why.missing })
        continue
      }
      const t0 = performance.now()
      const { result, why, detail } = await readSymbol(bytes, truth)
      const ms = Math.round(performance.now() - t0)
      outcomes.push({ id: item.id, split: item.split, group: item.group, result, why, detail, ms })
      if (verbose && result !== 'read') {
        console.log(`${result.padEnd(9)} ${item.id} [${why.join(',')}] ${ms} ms\n  got   ${detail}`)
      }
    }
    printTable(
      "PDF417 photos, exact text (intake and Loom's PDF417 reader)",
      outcomes,
      missing.slice(firstMissing),
      splits,
    )
  }

  if (!mrz && !aamva && !barcode && !photos) console.log('no manifest in eval/corpus/')
  printMissing(missing)
}
