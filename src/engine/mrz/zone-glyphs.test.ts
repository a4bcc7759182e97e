// The zone's own glyphs as a third opinion: cells of one rendered OCR-B zone compared with the
// characters both readers read alike elsewhere in it.

import { describe, expect, it } from 'vitest'
import { loadTemplates, readCells, renderOcrbLine } from './glyphs.ts'
import { findCells, PITCH_PX } from './cells.ts'
import { readAtCells, recognize, toRecognizerCrop } from './ppocr.ts'
import { zoneGlyphs } from './zone-glyphs.ts'

// ICAO 9303-4 Appendix A: the Utopia specimen passport.
const UTOPIA = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
]

async function readBoth(lines: string[]) {
  const templates = await loadTemplates()
  const images = await Promise.all(lines.map((l) => renderOcrbLine(l)))
  const reads = images.map((img, i) => readCells(img, findCells(img, lines[i]!.length)!, templates))
  const recs = await recognize(images.map((img) => toRecognizerCrop(img, PITCH_PX)))
  const pp = recs.map((rec, i) => readAtCells(rec, reads[i]!.centers, PITCH_PX))
  return { reads, pp }
}

describe('the zone’s own glyphs', () => {
  it('side with the character a cell is, against a look-alike, when both were taught', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // A cell the readers agreed on taught a glyph and is not judged by it.
    expect(zoneGlyphs(reads, pp).sides(1, 40, '<', 'E')).toBeNull()
    // Take the recognizer's word away from the fillers of line 1 and the A of ANNA.
    for (let p = 26; p < 44; p++) pp[0]![p] = { ...pp[0]![p]!, p: 0.3 }
    pp[0]![15] = { ...pp[0]![15]!, p: 0.3 }
    const zone = zoneGlyphs(reads, pp)
    for (let p = 26; p < 44; p++) {
      expect(zone.sides(0, p, '<', 'E')).toBe('<')
      expect(zone.sides(0, p, 'A', '<')).toBe('<')
    }
    expect(zone.sides(0, 15, 'A', '4')).toBe('A')
  }, 60_000)

  it('say nothing where the character was taught nowhere else in the zone', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // Every 2 of the zone unsure to the recognizer: Z (of ZE184226B) is taught, 2 is not, and a
    // 2 looks more like a Z than like anything else taught — yet the zone must not say Z.
    for (const line of [0, 1]) {
      for (const [p, ch] of [...UTOPIA[line]!].entries()) {
        if (ch === '2') pp[line]![p] = { ...pp[line]![p]!, p: 0.3 }
      }
    }
    const zone = zoneGlyphs(reads, pp)
    const twos = [...UTOPIA[1]!].flatMap((ch, p) => (ch === '2' ? [p] : []))
    expect(twos.length).toBeGreaterThan(2)
    for (const p of twos) expect(zone.sides(1, p, 'Z', '2')).toBeNull()
  }, 60_000)
})
