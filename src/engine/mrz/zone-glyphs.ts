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

/** What the zone's own glyphs say of its cells. */
export interface ZoneGlyphs {
  /**
   * Which of two characters the cell at (line, position) is: the one whose glyph in this zone it
   * matches well and clearly better than the other's. Null when either was not taught (a
   * character seen nowhere else in the zone cannot be told from a look-alike that was: 2 from
   * Z, 8 from B) and for a cell that taught a glyph itself.
   */
  sides(line: number, pos: number, a: string, b: string): string | null
}

/**
 * The glyphs the zone's agreed cells teach, averaged per character. Cells are compared by their
 * template-reader feature vectors: unit norm, zero mean, so a dot product is their correlation;
 * a cell's best over its sub-cell shifts, as the templates are matched.
 */
export function zoneGlyphs(reads: LineRead[], pp: PpChar[][]): ZoneGlyphs {
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
  const glyphs = new Map([...sums].map(([ch, sum]) => [ch, unit(sum)]))
  return {
    sides(line, pos, a, b) {
      const cell = reads[line]?.cells[pos]
      const ga = glyphs.get(a)
      const gb = glyphs.get(b)
      if (!cell || taught[line]![pos] || !ga || !gb) return null
      const like = (g: Float32Array): number => Math.max(...cell.features.map((f) => dot(f, g)))
      const sa = like(ga)
      const sb = like(gb)
      if (sa >= ZONE_MIN && sa - sb >= ZONE_LEAD) return a
      if (sb >= ZONE_MIN && sb - sa >= ZONE_LEAD) return b
      return null
    },
  }
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
