// From scored cells to an MRZ: each position restricted to its field's characters, close
// letter/digit pairs settled by glyph height, country codes checked against the list, and a
// reading accepted only when the check digits hold and no other reading would also pass.

import { MRZ_CHARSET, type LineRead } from './glyphs.ts'
import { checkDigitTellsApart } from './check-digit.ts'
import { isMrzCountryCode } from './countries.ts'
import { parseMrz, type ParsedMrz } from './parse.ts'
import { documentCodeStarts } from './layouts.ts'
import {
  checkedPositions,
  countryFieldStarts,
  namesWellFormed,
  positionFilters,
  positionMisreads,
  secondReading,
  strayCharacter,
  strayRefusal,
  type CloseCall,
} from './positions.ts'

/** Least lead of a character over a rival no check digit could tell from it. */
const SAFE_MARGIN = 0.04
/** Weakest acceptable match for a character no check digit covers (names, some optional data). */
const MIN_UNCHECKED_SCORE = 0.5
/** Alternatives offered to the parser: characters scoring within this of the best. */
const ALT_MARGIN = 0.06

const isDigitChar = (c: string): boolean => c >= '0' && c <= '9'
const PAIRS = new Set([
  '0O',
  'O0',
  '1I',
  'I1',
  '5S',
  'S5',
  '8B',
  'B8',
  '2Z',
  'Z2',
  '0D',
  'D0',
  '0Q',
  'Q0',
])
const CONFUSABLE_PAIR = (a: string, b: string): boolean => PAIRS.has(a + b)
/** Below this score margin, a letter/digit pair is decided by glyph match and height together. */
const PAIR_MARGIN = 0.08
/**
 * Weighing a close letter/digit pair: the letter's lead in score, in units of PAIR_SCORE_UNIT,
 * less the cell's height (−1 at capital height, +1 at digit height) must reach PAIR_EVIDENCE
 * either way. Fitted on 6600 O/0 cells of 2589 lines from held-out degraded corpora: 2 wrong,
 * 148 undecided, where the height alone (thresholds at 35 % and 65 % of the way) had 31 wrong.
 */
const PAIR_SCORE_UNIT = 0.02
const PAIR_EVIDENCE = 2
/** OCR-B digits are 77/71 of the capital height (ISO 1073-2 glyph drawings). */
const DIGIT_OVER_CAPITAL = 1.085

/**
 * Height scale for one line, from the heights of confidently read digits and capitals (either
 * derived from the other when a line has too few): where a measured height lies, −1 at capital
 * height and +1 at digit height (clamped to ±3), or null when the line cannot tell them apart.
 */
function classHeights(r: LineRead): (h: number) => number | null {
  const digits: number[] = []
  const letters: number[] = []
  r.cells.forEach((c, i) => {
    const sorted = [...c.scores].sort((a, b) => b - a)
    if (c.score < 0.75 || c.score - sorted[1]! < 0.1) return
    if (isDigitChar(c.ch) && c.ch !== '1') digits.push(r.heights[i]!)
    else if (c.ch >= 'A' && c.ch <= 'Z' && c.ch !== 'I') letters.push(r.heights[i]!)
  })
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  let d = digits.length >= 3 ? med(digits) : NaN
  let l = letters.length >= 3 ? med(letters) : NaN
  if (Number.isNaN(d) && !Number.isNaN(l)) d = l * DIGIT_OVER_CAPITAL
  if (Number.isNaN(l) && !Number.isNaN(d)) l = d / DIGIT_OVER_CAPITAL
  return (h) => {
    if (Number.isNaN(d) || Number.isNaN(l) || d - l < 0.02) return null
    return Math.max(-3, Math.min(3, (2 * h - l - d) / (d - l)))
  }
}

type Interpretation = { ok: true; mrz: ParsedMrz } | { ok: false; message: string }

/**
 * Turn cell scores into MRZ lines restricted to each position's field type, and parse.
 *
 * ICAO 9303-4/5/6/7 §4.2.2: the document code starts with P, I, A, C or V (a 44-character zone's
 * with P or V), and no check digit covers it, yet it decides the layout (V: visa). The best of
 * those letters is taken when the glyph is clearly it. In a 44-character zone whose first glyph is
 * not clearly P or V (worn, or matching another letter better), the layout decides: a reading
 * valid as a passport's satisfies two check digits more than a visa's (the personal number's and
 * the composite), which a visa's optional data would match by chance once in a hundred, so P is
 * taken when that reading holds; a reading that holds only as a visa is refused.
 */
export function interpret(reads: LineRead[], asOf: string): Interpretation {
  const scores = reads[0]!.cells[0]!.scores
  const score = (c: string): number => scores[MRZ_CHARSET.indexOf(c)]!
  const starts = [...documentCodeStarts(reads.length, reads[0]!.cells.length)].sort(
    (a, b) => score(b) - score(a),
  )
  const code = starts[0]!
  const rival = starts[1]
  const clear =
    Math.max(...scores) - score(code) < SAFE_MARGIN &&
    (rival === undefined || score(code) - score(rival) >= SAFE_MARGIN)
  // Only a 44-character zone's two letters (P, V) lead to layouts a check digit can tell apart.
  if (clear || starts.length !== 2) return interpretAs(reads, asOf, code, false)
  const passport = interpretAs(reads, asOf, 'P', true)
  if (passport.ok) return passport
  const visa = interpretAs(reads, asOf, 'V', true)
  return visa.ok
    ? { ok: false, message: "Cannot tell 'P' from 'V' in the document code." }
    : passport
}

/**
 * interpret() with the document code's first letter given: read from its glyph, or, `byLayout`,
 * put to the test of the layout it implies (the glyph is then not judged again).
 */
function interpretAs(
  reads: LineRead[],
  asOf: string,
  code: string,
  byLayout: boolean,
): Interpretation {
  const raw = reads.map((r) => r.cells.map((c) => c.ch).join(''))
  raw[0] = code + raw[0]!.slice(1)
  const filters = positionFilters(raw)
  if (!filters) return { ok: false, message: 'The zone does not have an MRZ layout.' }
  const checked = checkedPositions(raw)
  const misreads = positionMisreads(raw)
  const countries = countryFieldStarts(raw)
  const close = new Map<string, string[]>()
  const closeCalls: CloseCall[] = []
  const lines: string[] = []
  const alternatives: string[][] = []
  for (const [l, r] of reads.entries()) {
    const heightOf = classHeights(r)
    let line = ''
    const alts: string[] = []
    for (const [p, cell] of r.cells.entries()) {
      if (byLayout && l === 0 && p === 0) {
        line += code
        alts.push('')
        continue
      }
      const ok = l === 0 && p === 0 ? (c: string) => c === code : (filters[l]?.[p] ?? (() => true))
      const ranked = [...MRZ_CHARSET]
        .map((ch, i) => ({ ch, s: cell.scores[i]! }))
        .filter((x) => ok(x.ch))
        .sort((a, b) => b.s - a.s)
      let best = ranked[0]!
      let rest = ranked.slice(1)
      // Where no check digit looks, a glyph that matches nothing well is not guessed at, and a
      // clear glyph the field does not allow is not replaced by one it does.
      if (!checked?.[l]?.[p] && best.s < MIN_UNCHECKED_SCORE) {
        return { ok: false, message: `Character ${p + 1} of line ${l + 1} is illegible.` }
      }
      const stray =
        checked?.[l]?.[p] || !misreads
          ? null
          : strayCharacter(cell.scores, ok, misreads[l]![p]!, best.ch, SAFE_MARGIN)
      if (stray !== null) return strayRefusal(stray, l, p)
      // OCR-B digits stand taller than its capitals: settle a close letter/digit pair by glyph
      // match and height together.
      const second = rest[0]
      let decided = false
      if (second && best.s - second.s < PAIR_MARGIN && CONFUSABLE_PAIR(best.ch, second.ch)) {
        const [letter, digit] = isDigitChar(best.ch) ? [second, best] : [best, second]
        const z = heightOf(r.heights[p]!)
        const evidence = z === null ? 0 : (letter.s - digit.s) / PAIR_SCORE_UNIT - z
        if (Math.abs(evidence) < PAIR_EVIDENCE) {
          // A check digit may still settle it (the pair stays among the alternatives);
          // elsewhere nothing would.
          if (!checked?.[l]?.[p]) {
            return {
              ok: false,
              message: `Cannot tell '${best.ch}' from '${second.ch}' on line ${l + 1}.`,
            }
          }
        } else {
          if ((evidence > 0 ? letter : digit) !== best) {
            ;[best, rest] = [second, [best, ...rest.slice(1)]]
          }
          rest = rest.filter((x) => !CONFUSABLE_PAIR(best.ch, x.ch))
          decided = true
        }
      }
      // A check digit cannot see a substitution between characters of equal value mod 10
      // (0, <, A, K, U; 1, B, L, V; …), nor any substitution where no check digit looks: there
      // the glyph match alone must be clear.
      const blind = (x: { ch: string }): boolean =>
        !checked?.[l]?.[p] || !checkDigitTellsApart(x.ch, best.ch)
      const rival = rest.find((x) => blind(x) && !(decided && CONFUSABLE_PAIR(best.ch, x.ch)))
      if (checked?.[l]?.[p]) {
        const near = rest.filter(
          (x) => best.s - x.s < SAFE_MARGIN && !(decided && CONFUSABLE_PAIR(best.ch, x.ch)),
        )
        if (near.length)
          closeCalls.push({ line: l, pos: p, chars: best.ch + near.map((x) => x.ch).join('') })
      }
      const inCountry = countries.some(([cl, cs]) => cl === l && p >= cs && p < cs + 3)
      if (inCountry) {
        // Settled below against the list of country codes.
        close.set(`${l}:${p}`, [
          best.ch,
          ...rest.filter((x) => x.s >= best.s - SAFE_MARGIN).map((x) => x.ch),
        ])
      } else if (rival && best.s - rival.s < SAFE_MARGIN) {
        return {
          ok: false,
          message: `Cannot tell '${best.ch}' from '${rival.ch}' at character ${p + 1} of line ${l + 1}.`,
        }
      }
      line += best.ch
      alts.push(
        rest
          .slice(0, 2)
          .filter((x) => x.s >= best.s - ALT_MARGIN)
          .map((x) => x.ch)
          .join(''),
      )
    }
    lines.push(line)
    alternatives.push(alts)
  }
  // ICAO 9303-3 §5: issuer and nationality are codes from a closed list, and no check digit
  // covers them; of the readings the glyph matches allow, exactly one must be a listed code.
  for (const [l, start] of countries) {
    const options = [0, 1, 2].map((k) => close.get(`${l}:${start + k}`) ?? [lines[l]![start + k]!])
    const valid: string[] = []
    for (const a of options[0]!) {
      for (const b of options[1]!)
        for (const c of options[2]!) if (isMrzCountryCode(a + b + c)) valid.push(a + b + c)
    }
    if (valid.length !== 1) {
      const read = lines[l]!.slice(start, start + 3)
      return {
        ok: false,
        message:
          valid.length === 0
            ? `'${read}' on line ${l + 1} is not a country code.`
            : `The country code on line ${l + 1} could be ${valid.join(' or ')}.`,
      }
    }
    lines[l] = lines[l]!.slice(0, start) + valid[0]! + lines[l]!.slice(start + 3)
  }
  const parsed = parseMrz({ lines, alternatives }, { asOf })
  if (!parsed.ok) return { ok: false, message: parsed.message }
  if (!parsed.mrz.valid) {
    const failed = Object.entries(parsed.mrz.checks)
      .filter(([, v]) => !v)
      .map(([k]) => k)
    return {
      ok: false,
      message: `Check digits do not hold (${failed.join(', ')}); the zone is unreadable.`,
    }
  }
  // ICAO 9303-4/5/6/7 §4.2.2: the document code starts with P, I, A, C or V.
  const read = parsed.mrz.lines
  if (!documentCodeStarts(read.length, read[0]!.length).includes(read[0]![0]!)) {
    return { ok: false, message: 'The document code is not an ICAO document code.' }
  }
  if (!namesWellFormed(parsed.mrz.format, parsed.mrz.lines)) {
    return { ok: false, message: 'The name field is not well formed; the zone is unreadable.' }
  }
  const other = secondReading(parsed.mrz.lines, closeCalls, { asOf })
  if (other) {
    return {
      ok: false,
      message: `Another reading also satisfies the check digits (${other.join(' / ')}); refusing to guess.`,
    }
  }
  return { ok: true, mrz: parsed.mrz }
}
