// Two independent readers of one located zone — OCR-B template matching (glyphs.ts, interpret.ts)
// and the PP-OCR recognizer (ppocr.ts) — and a vote between them decided by the check digits.
// Where the readers agree a character stands; where they differ both characters stay candidates,
// and exactly one combination must satisfy every check digit and the field syntax (names, country
// codes, document code); where no check digit looks only that syntax can tell them apart, so a
// difference inside a name or optional data can leave several valid readings. Those are reported
// as they are — the field null and unresolved, with each reading — when every field a check digit
// protects or a decision rests on is the same in all of them; otherwise the zone is unreadable.
// Never a wrong field, never a guess.

import { MRZ_CHARSET, type LineRead } from './glyphs.ts'
import { checkDigitTellsApart } from './check-digit.ts'
import { isMrzCountryCode } from './countries.ts'
import { documentCodeStarts } from './layouts.ts'
import { parseMrz, type ParsedMrz } from './parse.ts'
import {
  checkedPositions,
  countryFieldStarts,
  namesWellFormed,
  positionFilters,
  positionMisreads,
  strayCharacter,
  strayRefusal,
} from './positions.ts'
import type { PpChar } from './ppocr.ts'
import { zoneGlyphs, type ZoneGlyphs } from './zone-glyphs.ts'

export type VoteResult = { ok: true; mrz: ParsedMrz } | { ok: false; message: string }

/** Which reader decides: the template reader alone, PP-OCR alone, or both by vote. */
export type MrzReaderMode = 'templates' | 'ppocr' | 'vote'

/**
 * Where no check digit looks, a PP-OCR character counts only when it holds at least this share
 * of the probability of the characters the position allows.
 */
export const MIN_PP_UNCHECKED = 0.9
/**
 * A PP-OCR character holding less than this share is the recognizer unable to say: a sure
 * template character stands against it, as it does where the recognizer read nothing.
 */
const MAX_PP_UNSURE = 0.5
/** A PP-OCR character that breaks a near tie of the templates must hold at least this share. */
const MIN_PP_TIEBREAK = 0.6
/** Template characters within this of the best are a near tie the other reader may break. */
const NEAR = 0.06
/** A template character no check digit covers must lead every rival by this much to stand alone. */
const SAFE_LEAD = 0.04
const MIN_TEMPLATE_UNCHECKED = 0.5
/** At most this many positions may be left to the check digits (2^n combinations are tried). */
const MAX_OPEN = 10

/** The two readers' characters as candidates at a cell, or the one the zone's own glyphs side with. */
function sided(zone: ZoneGlyphs, l: number, p: number, a: string, b: string): string[] {
  const side = zone.sides(l, p, a, b)
  return side ? [side] : [a, b]
}

/** The best character of a score vector among those a position allows. */
function bestAllowed(
  scores: Float32Array,
  ok: (c: string) => boolean,
): { ch: string; s: number }[] {
  return [...MRZ_CHARSET]
    .map((ch, i) => ({ ch, s: scores[i]! }))
    .filter((x) => ok(x.ch))
    .sort((a, b) => b.s - a.s)
}

/**
 * The recognizer's most likely character among those a position allows, and its share of the
 * probability those characters hold at its frame (the blank and other scripts left out).
 */
function ppBest(q: PpChar, ok: (c: string) => boolean): { ch: string; s: number } {
  const ranked = bestAllowed(q.scores, ok)
  const sum = ranked.reduce((a, x) => a + x.s, 0)
  return { ch: ranked[0]!.ch, s: sum > 0 ? ranked[0]!.s / sum : 0 }
}

/**
 * At a checked position, the recognizer's best character is sure enough to stand alone only if it
 * holds MIN_PP_UNCHECKED of the probability among the characters the check digit cannot tell
 * from it (its value modulo 10): a K read as '<' passes every check digit.
 */
function ppSureAmongAlike(q: PpChar, ok: (c: string) => boolean): boolean {
  const best = ppBest(q, ok).ch
  return ppBest(q, (c) => ok(c) && !checkDigitTellsApart(c, best)).s >= MIN_PP_UNCHECKED
}

/**
 * Settle a set of candidates per position: exactly one combination must parse with every check
 * digit holding and no correction, a listed country code, an ICAO document code and well-formed
 * names.
 */
function settle(candidates: string[][][], asOf: string): VoteResult {
  const open: [number, number][] = []
  candidates.forEach((line, l) =>
    line.forEach((c, p) => {
      if (c.length > 1) open.push([l, p])
    }),
  )
  if (open.length > MAX_OPEN) {
    return { ok: false, message: 'The two readers disagree on too many characters.' }
  }
  const sizes = open.map(([l, p]) => candidates[l]![p]!.length)
  const total = sizes.reduce((a, b) => a * b, 1)
  const found: ParsedMrz[] = []
  for (let k = 0; k < total; k++) {
    const rows = candidates.map((line) => line.map((c) => c[0]!))
    let rest = k
    for (const [o, [l, p]] of open.entries()) {
      rows[l]![p] = candidates[l]![p]![rest % sizes[o]!]!
      rest = Math.floor(rest / sizes[o]!)
    }
    const lines = rows.map((r) => r.join(''))
    const parsed = parseMrz({ lines }, { asOf })
    if (!parsed.ok || !parsed.mrz.valid || parsed.mrz.corrections !== 0) continue
    if (!documentCodeStarts(lines.length, lines[0]!.length).includes(lines[0]![0]!)) continue
    if (!namesWellFormed(parsed.mrz.format, lines)) continue
    if (!countryFieldStarts(lines).every(([l, s]) => isMrzCountryCode(lines[l]!.slice(s, s + 3))))
      continue
    if (found.length === MAX_READINGS) {
      return { ok: false, message: 'Too many readings fit every check digit; refusing to guess.' }
    }
    found.push(parsed.mrz)
  }
  if (found.length === 0) {
    return { ok: false, message: 'No combination of the two readings satisfies the check digits.' }
  }
  const merged = withUnresolved(found)
  return merged
    ? { ok: true, mrz: merged }
    : { ok: false, message: twoReadings(found[0]!.lines, found[1]!.lines) }
}

/** Fields every valid reading must give alike: those check digits protect and those decisions rest on. */
const SETTLED_FIELDS = [
  'format',
  'documentCode',
  'documentType',
  'issuer',
  'documentNumber',
  'sex',
  'dateOfBirth',
  'nationality',
  'expiryDate',
] as const
/** Fields no check digit protects, which may be left unresolved between valid readings. */
const OPEN_FIELDS = ['lastName', 'firstName', 'optionalData'] as const
/** More valid readings than this and the zone is refused rather than reported unresolved. */
const MAX_READINGS = 8

/**
 * One reading from several that each satisfy every check digit and field rule: the only one, or,
 * when they differ only in names or optional data, those fields null and listed as unresolved
 * with their readings (the differing characters `?` in the lines). Null when they differ in
 * anything else (a birth date, a document number, the sex, a country): no guess is made.
 */
export function withUnresolved(readings: ParsedMrz[]): ParsedMrz | null {
  const first = readings[0]!
  if (readings.length === 1) return first
  const same = (r: ParsedMrz): boolean =>
    SETTLED_FIELDS.every((f) => r[f] === first[f]) &&
    (r.dateOfBirthCandidates ?? []).join() === (first.dateOfBirthCandidates ?? []).join()
  if (!readings.every(same)) return null
  const merged: ParsedMrz = { ...first, unresolved: [] }
  for (const field of OPEN_FIELDS) {
    const values = [
      ...new Set(
        readings.flatMap(
          (r) => r.unresolved?.find((u) => u.field === field)?.candidates ?? [r[field] ?? ''],
        ),
      ),
    ]
    if (values.length < 2) continue
    merged[field] = null
    merged.unresolved!.push({ field, candidates: values })
  }
  merged.lines = first.lines.map((line, l) =>
    [...line].map((c, p) => (readings.every((r) => r.lines[l]![p] === c) ? c : '?')).join(''),
  )
  return merged
}

/** Where two valid readings differ, without the rest of the lines (they are a person's data). */
function twoReadings(a: string[], b: string[]): string {
  for (const [l, line] of a.entries()) {
    for (let p = 0; p < line.length; p++) {
      if (line[p] !== b[l]![p]) {
        return `Two readings fit every check digit and field rule, differing at character ${p + 1} of line ${l + 1} ('${line[p]}' or '${b[l]![p]}'); refusing to guess.`
      }
    }
  }
  return 'Two readings fit every check digit and field rule; refusing to guess.'
}

/**
 * PP-OCR alone on a zone's lines, read at the cells the template reader segmented: each position its most likely allowed character, the check
 * digits to hold as read, and every position no check digit covers read surely.
 */
export function readPpAlone(pp: PpChar[][], n: number, asOf: string): VoteResult {
  if (pp.some((line) => line.length !== n)) {
    return { ok: false, message: 'The recognizer read a different number of characters.' }
  }
  const raw = pp.map((line) => line.map((c) => c.ch).join(''))
  const filters = positionFilters(raw)
  const checked = checkedPositions(raw)
  const misreads = positionMisreads(raw)
  if (!filters || !checked || !misreads) {
    return { ok: false, message: 'The zone does not have an MRZ layout.' }
  }
  const candidates: string[][][] = []
  for (const [l, line] of pp.entries()) {
    const row: string[][] = []
    for (const [p, c] of line.entries()) {
      const best = ppBest(c, filters[l]![p]!)
      const stray = checked[l]![p]
        ? null
        : strayCharacter(c.scores, filters[l]![p]!, misreads[l]![p]!, best.ch, MAX_PP_UNSURE)
      if (stray !== null) return strayRefusal(stray, l, p)
      const sure = checked[l]![p]
        ? ppSureAmongAlike(c, filters[l]![p]!)
        : best.s >= MIN_PP_UNCHECKED
      if (!sure) {
        return { ok: false, message: `Character ${p + 1} of line ${l + 1} is illegible.` }
      }
      row.push([best.ch])
    }
    candidates.push(row)
  }
  return settle(candidates, asOf)
}

/**
 * The template reader's accepted `lines` with, as a second candidate, the character the
 * recognizer reads otherwise where it is able to say (MAX_PP_UNSURE of the probability) and a
 * check digit looks that could tell the two apart, or, where none looks, where it is sure
 * (MIN_PP_UNCHECKED); null when it objects nowhere, or in more places than can be weighed.
 */
function ppObjections(lines: string[], pp: PpChar[][]): string[][][] | null {
  const filters = positionFilters(lines)
  const checked = checkedPositions(lines)
  if (!filters || !checked || pp.some((line, l) => line.length !== lines[l]!.length)) return null
  let open = 0
  const candidates = lines.map((line, l) =>
    [...line].map((t, p) => {
      const best = ppBest(pp[l]![p]!, filters[l]![p]!)
      const objects =
        best.ch !== t &&
        (checked[l]![p]
          ? checkDigitTellsApart(best.ch, t) && best.s >= MAX_PP_UNSURE
          : best.s >= MIN_PP_UNCHECKED)
      if (!objects) return [t]
      open++
      return [t, best.ch]
    }),
  )
  return open > 0 && open <= MAX_OPEN ? candidates : null
}

/**
 * The first position, in a field a check digit covers, where the recognizer reads a character the
 * check digit cannot tell from the template reader's — their values equal modulo 10 (S and 8, E
 * and O, Z and 5, K and <) — holding MAX_PP_UNSURE of the probability and MIN_PP_UNCHECKED of
 * what those alike characters hold. Either reading satisfies the check digits alike, so nothing
 * there decides between them; a recognizer torn between the two does not object. Null when none.
 */
function blindDisagreement(
  lines: string[],
  pp: PpChar[][],
): { line: number; pos: number; chars: [string, string] } | null {
  const filters = positionFilters(lines)
  const checked = checkedPositions(lines)
  if (!filters || !checked || pp.some((line, l) => line.length !== lines[l]!.length)) return null
  for (const [l, line] of lines.entries()) {
    for (let p = 0; p < line.length; p++) {
      const t = line[p]!
      if (!checked[l]![p]) continue
      const ok = filters[l]![p]!
      const best = ppBest(pp[l]![p]!, ok)
      if (best.ch === t || checkDigitTellsApart(best.ch, t) || best.s < MAX_PP_UNSURE) continue
      // best.ch and t are alike, so the characters alike to either are the same.
      if (ppSureAmongAlike(pp[l]![p]!, ok)) return { line: l, pos: p, chars: [t, best.ch] }
    }
  }
  return null
}

/**
 * The vote on one zone read by both: `reads` the template reader's cells, `pp` the recognizer's
 * reading at the same cells (readAtCells), `templates` what the template reader concluded on its
 * own; `unsure`: the zone's letters are below the size they are read surely at, where the
 * template reader's own reading stands only if the recognizer forms no other.
 */
export function vote(
  reads: LineRead[],
  pp: PpChar[][],
  templates: VoteResult,
  asOf: string,
  opts: { unsure?: boolean } = {},
): VoteResult {
  const n = reads[0]!.cells.length
  const raw = reads.map((r) => r.cells.map((c) => c.ch).join(''))
  if (templates.ok) {
    // The recognizer may only object: a reading of its own that satisfies the check digits and
    // differs makes the zone unreadable, or leaves the fields they differ in unresolved.
    const alone = readPpAlone(pp, n, asOf)
    if (alone.ok && alone.mrz.lines.join('\n') !== templates.mrz.lines.join('\n')) {
      const merged = withUnresolved([templates.mrz, alone.mrz])
      if (merged) return { ok: true, mrz: merged }
      return { ok: false, message: twoReadings(templates.mrz.lines, alone.mrz.lines) }
    }
    // Where a check digit looks but cannot tell the two readers' characters apart, the check
    // digits satisfied prove nothing about that character: the readers must agree there.
    const blind = blindDisagreement(templates.mrz.lines, pp)
    if (blind) {
      const [a, b] = blind.chars
      return {
        ok: false,
        message: `The readers disagree at character ${blind.pos + 1} of line ${blind.line + 1} ('${a}' or '${b}'), which no check digit tells apart; refusing to guess.`,
      }
    }
    if (alone.ok || !opts.unsure) return templates
    // A zone too small to be read surely: where the recognizer reads otherwise, a reading with
    // its characters that also satisfies every check digit and field rule is a second reading,
    // and fields it changes are left unresolved, or the zone is refused. (Check digits pass by
    // chance once in ten each: a real ID card scaled to 8.5-px capitals and turned 3° had
    // passed with a wrong document number and issuer.)
    const objections = ppObjections(templates.mrz.lines, pp)
    return objections ? settle(objections, asOf) : templates
  }
  if (pp.some((line, l) => line.length !== reads[l]!.cells.length)) return templates
  // Positions and field types from the template reading with the recognizer's document code
  // (the first character decides the layout of a visa).
  const first = pp[0]![0]
  const layoutLines = first ? [first.ch + raw[0]!.slice(1), ...raw.slice(1)] : raw
  const filters = positionFilters(layoutLines)
  const checked = checkedPositions(layoutLines)
  const misreads = positionMisreads(layoutLines)
  if (!filters || !checked || !misreads) return templates
  const zone = zoneGlyphs(reads, pp)
  const candidates: string[][][] = []
  for (const [l, r] of reads.entries()) {
    const row: string[][] = []
    for (const [p, cell] of r.cells.entries()) {
      const ok = filters[l]![p]!
      const ranked = bestAllowed(cell.scores, ok)
      const best = ranked[0]!
      const near = ranked.filter((x) => best.s - x.s < NEAR).map((x) => x.ch)
      const q = pp[l]![p]
      const qBest = q ? ppBest(q, ok) : null
      // A check digit settles a disagreement only between characters it can tell apart.
      const settledByCheck = !qBest || checkDigitTellsApart(best.ch, qBest.ch)
      if (checked[l]![p] && settledByCheck) {
        if (!qBest) row.push(near.slice(0, 2))
        else if (qBest.ch === best.ch) row.push([best.ch])
        else if (near.includes(qBest.ch) && qBest.s >= MIN_PP_TIEBREAK) row.push([qBest.ch])
        else row.push(sided(zone, l, p, best.ch, qBest.ch))
        continue
      }
      // A clear character the field does not allow, seen by either reader, is the zone breaking
      // the field's rule (a 0 where the sex is due), not a misread to put right here.
      if (!checked[l]![p]) {
        const mis = misreads[l]![p]!
        const stray =
          strayCharacter(cell.scores, ok, mis, best.ch, SAFE_LEAD) ??
          (q && qBest ? strayCharacter(q.scores, ok, mis, qBest.ch, MAX_PP_UNSURE) : null)
        if (stray !== null) return strayRefusal(stray, l, p)
      }
      // No check digit looks here, or none can tell the two characters apart: the readers must
      // agree, or one must be sure and the other unable to say (the recognizer's best under half
      // the probability). Otherwise both stay candidates and only the field syntax can choose: a
      // letter in the fillers after the names, a country code that is not one, a document code
      // ICAO does not know. Two readings that both fit leave two valid combinations: settle leaves
      // a name or optional data between them unresolved and refuses anything else (M for F).
      const rival = ranked[1]
      const templateSure =
        best.s >= MIN_TEMPLATE_UNCHECKED && (!rival || best.s - rival.s >= SAFE_LEAD)
      if (qBest && qBest.ch === best.ch) row.push([best.ch])
      else if (templateSure && (!qBest || qBest.s < MAX_PP_UNSURE)) row.push([best.ch])
      else if (qBest && qBest.s >= MIN_PP_UNCHECKED && near.includes(qBest.ch)) row.push([qBest.ch])
      else if (qBest) row.push(sided(zone, l, p, best.ch, qBest.ch))
      else {
        return {
          ok: false,
          message: `Character ${p + 1} of line ${l + 1} is illegible, where no check digit looks.`,
        }
      }
    }
    candidates.push(row)
  }
  return settle(candidates, asOf)
}
