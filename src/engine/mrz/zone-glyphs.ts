// A third opinion drawn from the zone itself. Every character of one MRZ is printed by the same
// machine in the same font, so two cells that look alike hold the same character. The cells both
// readers read alike and surely teach what each character looks like in this zone — whatever the
// printer made of OCR-B (laser engraving, another cut of the font, blur) — and a cell the readers
// disagree on is compared with the glyphs of the two characters they read. Where it plainly matches
// one of them, the zone sides with that reader; it never reads a cell alone.

import { DIM, type LineRead } from './glyphs.ts'
import type { PpChar } from './ppocr.ts'

/** A recognizer character at least this probable, read alike by the templates, teaches its glyph. */
const TEACH_PP = 0.9
/**
 * The zone sides with a character only where the cell matches its glyph at least this well, and
 * better than the rival character's glyph by ZONE_LEAD. In a blurred 9-px print (a Kazakh
 * specimen whose '<' the recognizer reads as E, K or A) cells of one character correlate
 * 0.97–0.99 with its taught glyph, cells of another at most 0.90 (K against '<', N against M).
 */
const ZONE_MIN = 0.93
const ZONE_LEAD = 0.05

/** A cell's correlation with the glyph of each character the zone taught (null for a teaching cell). */
export type ZoneLikeness = (Map<string, number> | null)[][]

/**
 * For each cell, how much it looks like each character taught by the zone's agreed cells. Cells
 * are compared by their template-reader feature vectors: unit norm, zero mean, so a dot product
 * is their correlation; the cell's best over the sub-cell shifts, as the templates are matched.
 */
export function zoneLikeness(reads: LineRead[], pp: PpChar[][]): ZoneLikeness {
  const sums = new Map<string, Float32Array>()
  const taught = reads.map((r, l) =>
    r.cells.map((cell, p) => {
      const q = pp[l]?.[p]
      if (!q || q.ch !== cell.ch || q.p < TEACH_PP) return false
      let sum = sums.get(cell.ch)
      if (!sum) sums.set(cell.ch, (sum = new Float32Array(DIM)))
      const f = cell.features[0]!
      for (let k = 0; k < DIM; k++) sum[k]! += f[k]!
      return true
    }),
  )
  const glyphs = [...sums].map(([ch, sum]) => [ch, unit(sum)] as const)
  return reads.map((r, l) =>
    r.cells.map((cell, p) =>
      taught[l]![p]
        ? null
        : new Map(glyphs.map(([ch, g]) => [ch, Math.max(...cell.features.map((f) => dot(f, g)))])),
    ),
  )
}

/**
 * Which of two characters the zone says a cell is: the one whose glyph in this zone it matches
 * well and clearly better than the other's. Null when either was not taught (a character seen
 * nowhere else in the zone cannot be told from a look-alike that was: 2 from Z, 8 from B).
 */
export function zoneSides(
  likeness: Map<string, number> | null,
  a: string,
  b: string,
): string | null {
  const sa = likeness?.get(a)
  const sb = likeness?.get(b)
  if (sa === undefined || sb === undefined) return null
  if (sa >= ZONE_MIN && sa - sb >= ZONE_LEAD) return a
  if (sb >= ZONE_MIN && sb - sa >= ZONE_LEAD) return b
  return null
}

function unit(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v)) || 1
  return v.map((x) => x / n)
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!
  return s
}
