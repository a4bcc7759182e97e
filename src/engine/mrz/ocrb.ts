// OCR-B drawn from the outlines Loom ships (ocrb-glyphs.ts), not from an installed font: the
// reader's templates and the specimen generator need no system font, and draw the same shapes on
// every machine.
import { OCRB_GLYPHS, OCRB_UNITS_PER_EM } from './ocrb-glyphs.ts'

/**
 * An SVG `<path>` of one MRZ character centred on `cx` with its baseline at `baseline` (both in
 * the SVG's user units), at `fontSize` user units per em. A space or unknown character is empty.
 */
export function ocrbGlyph(
  ch: string,
  cx: number,
  baseline: number,
  fontSize: number,
  fill = '#000',
): string {
  const glyph = OCRB_GLYPHS[ch]
  if (glyph === undefined) return ''
  const scale = fontSize / OCRB_UNITS_PER_EM
  const x = cx - (glyph.advance * scale) / 2
  // Font units point up; SVG's y points down.
  return `<path fill="${fill}" transform="translate(${x.toFixed(4)} ${baseline.toFixed(4)}) scale(${scale.toFixed(6)} ${(-scale).toFixed(6)})" d="${glyph.d}"/>`
}
