// The vote between the two MRZ readers, on real line images: OCR-B lines rendered as the
// rectifier hands them over, read by the template reader and by the PP-OCR recognizer, with one
// reader's reading of a character then pushed to a wrong one.

import { describe, expect, it } from 'vitest'
import { loadTemplates, MRZ_CHARSET, readCells, renderOcrbLine, type LineRead } from './glyphs.ts'
import { findCells, PITCH_PX } from './cells.ts'
import { interpret } from './interpret.ts'
import { readAtCells, recognize, toRecognizerCrop, type PpChar } from './ppocr.ts'
import { readMrz } from './read.ts'
import { readPpAlone, vote } from './vote.ts'
import { decodeDocumentImage } from '../intake.ts'
import { generateMrzSpecimen } from '../../specimen/index.ts'

const AS_OF = '2026-06-01'
// ICAO 9303-4 Appendix A: the Utopia specimen passport.
const UTOPIA = [
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
  'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
]

async function readBoth(lines: string[]): Promise<{ reads: LineRead[]; pp: PpChar[][] }> {
  const templates = await loadTemplates()
  const images = await Promise.all(lines.map((l) => renderOcrbLine(l)))
  const reads = images.map((img, i) => {
    const band = findCells(img, lines[i]!.length)
    if (!band) throw new Error('rendered line did not segment')
    return readCells(img, band, templates)
  })
  const recs = await recognize(images.map((img) => toRecognizerCrop(img, PITCH_PX)))
  const pp = recs.map((rec, i) => readAtCells(rec, reads[i]!.centers, PITCH_PX))
  return { reads, pp }
}

/** Make the template reader see `ch` at a position, clearly. */
function misreadTemplate(reads: LineRead[], line: number, pos: number, ch: string): void {
  const cell = reads[line]!.cells[pos]!
  const scores = new Float32Array(cell.scores).map((s) => Math.min(s, 0.5))
  scores[MRZ_CHARSET.indexOf(ch)] = 0.95
  reads[line]!.cells[pos] = { ...cell, ch, score: 0.95, scores }
}

/** Make the template reader hesitate at a position: `ch` barely ahead of `rival`. */
function hesitateTemplate(
  reads: LineRead[],
  line: number,
  pos: number,
  ch: string,
  rival: string,
): void {
  const cell = reads[line]!.cells[pos]!
  const scores = new Float32Array(cell.scores).map((s) => Math.min(s, 0.5))
  scores[MRZ_CHARSET.indexOf(ch)] = 0.9
  scores[MRZ_CHARSET.indexOf(rival)] = 0.88
  reads[line]!.cells[pos] = { ...cell, ch, score: 0.9, scores }
}

/** Make the recognizer read `ch` at a position, surely. */
function misreadPp(pp: PpChar[][], line: number, pos: number, ch: string): void {
  const scores = new Float32Array(MRZ_CHARSET.length)
  scores[MRZ_CHARSET.indexOf(ch)] = 0.99
  pp[line]![pos] = { ch, p: 0.99, scores }
}

/** Make the recognizer hesitate at a position: `ch` first, with `share` of the probability. */
function unsurePp(pp: PpChar[][], line: number, pos: number, ch: string, share: number): void {
  const scores = new Float32Array(MRZ_CHARSET.length)
  scores[MRZ_CHARSET.indexOf(ch)] = share
  // The rest spread over three other letters, each below `share`.
  for (const other of ['X', 'R', 'N']) scores[MRZ_CHARSET.indexOf(other)] = (1 - share) / 3
  pp[line]![pos] = { ch, p: share, scores }
}

describe('the second reader and the vote', () => {
  it('both readers read clean OCR-B lines right', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    expect(pp.map((l) => l.map((c) => c.ch).join(''))).toHaveLength(2)
    const alone = readPpAlone(pp, 44, AS_OF)
    expect(alone.ok && alone.mrz.lines).toEqual(UTOPIA)
    const templates = interpret(reads, AS_OF)
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
  }, 60_000)

  it('a clear character the sex does not allow is refused by each reader and the vote, never replaced', async () => {
    // The sex printed as 0 (as on a specimen card whose line 2 is all zeros): both readers,
    // restricted to F, M, X and '<', would otherwise agree on the likeliest of those.
    const lines = [UTOPIA[0]!, UTOPIA[1]!.slice(0, 20) + '0' + UTOPIA[1]!.slice(21)]
    const { reads, pp } = await readBoth(lines)
    const templates = interpret(reads, AS_OF)
    expect(templates.ok).toBe(false)
    expect(!templates.ok && templates.message).toMatch(/reads '0', which its field does not allow/)
    expect(readPpAlone(pp, 44, AS_OF).ok).toBe(false)
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok).toBe(false)
    expect(!voted.ok && voted.message).toMatch(/does not allow/)
  }, 60_000)

  it('where each reader misreads a different digit, the check digits pick the other reader', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // Document number L898902C3: the template reader takes the first 8 for a 6, the recognizer
    // the 9 for a 4. Neither reading satisfies the document number's check digit alone, nor
    // does the two misreadings' combination (weights 3 and 1: −6 − 5).
    misreadTemplate(reads, 1, 1, '6')
    misreadPp(pp, 1, 2, '4')
    const templates = interpret(reads, AS_OF)
    expect(templates.ok).toBe(false)
    expect(readPpAlone(pp, 44, AS_OF).ok).toBe(false)
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
    expect(voted.ok && voted.mrz.documentNumber).toBe('L898902C3')
  }, 60_000)

  it('a 44-character zone’s document code is P or V, whatever the readers prefer', async () => {
    // No check digit covers the document code. Both readers taking the passport's P for an A
    // (seen on a real passport photo scaled to 8-px capitals) would make a valid-looking "ID
    // card" of a passport: ICAO allows only P (passport) and V (visa) in a 44-character zone.
    const { reads, pp } = await readBoth(UTOPIA)
    hesitateTemplate(reads, 0, 0, 'A', 'P')
    unsurePp(pp, 0, 0, 'A', 0.6)
    const templates = interpret(reads, AS_OF)
    expect(templates.ok && templates.mrz.lines).toEqual(UTOPIA)
    const alone = readPpAlone(pp, 44, AS_OF)
    expect(alone.ok && alone.mrz.documentCode).not.toBe('A')
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok && voted.mrz.lines[0]![0]).not.toBe('A')
  }, 60_000)

  it('a passport zone that lost its trailing fillers is not read as a card', async () => {
    // With an empty personal number, a passport's composite check digit is also the composite of
    // the first 36 characters as TD2 (fillers count 0): a real specimen in a wide frame was read
    // as a valid TD2 "card" with code P. ICAO 9303-5/6 §4.2.2: a card's code starts with I, A or C.
    const shortened = [
      'POPRKJANG<<MYONGSUN<<<<<<<<<<<<<<<<<',
      '6451331382PRK6609302F1003145<<<<<<<4',
    ]
    const { reads, pp } = await readBoth(shortened)
    const templates = interpret(reads, AS_OF)
    expect(templates.ok).toBe(false)
    expect(readPpAlone(pp, 36, AS_OF).ok).toBe(false)
    expect(vote(reads, pp, templates, AS_OF).ok).toBe(false)
    // The same zone as an ID card's is read.
    const card = await readBoth(shortened.map((l, i) => (i === 0 ? `I${l.slice(1)}` : l)))
    expect(interpret(card.reads, AS_OF).ok).toBe(true)
  }, 60_000)

  it('a worn passport code is read as P when the passport’s own check digits hold, never as a visa', async () => {
    // A faint P (a phone photo of a US passport at 11-px capitals) matched A and W best and V far
    // better than P. Taken as V, the zone read as a valid visa: a visa's 16 characters of optional
    // data carry no check digit. Read as a passport, the personal number's and the composite
    // check digits hold as well.
    const { reads } = await readBoth(UTOPIA)
    const cell = reads[0]!.cells[0]!
    const scores = new Float32Array(cell.scores).map((s) => Math.min(s, 0.3))
    for (const [ch, s] of [
      ['A', 0.69],
      ['W', 0.686],
      ['V', 0.641],
      ['P', 0.382],
    ] as const) {
      scores[MRZ_CHARSET.indexOf(ch)] = s
    }
    reads[0]!.cells[0] = { ...cell, ch: 'A', score: 0.69, scores }
    const templates = interpret(reads, AS_OF)
    expect(templates.ok && templates.mrz.format).toBe('TD3')
    expect(templates.ok && templates.mrz.lines).toEqual(UTOPIA)
  }, 60_000)

  it('a visa’s unclear code is refused, and a clear one read', async () => {
    // The Utopia passport's lower line with its optional data's last two cells fillers: valid only
    // as a visa (a composite check digit is never '<').
    const visa = [UTOPIA[0]!.replace(/^P/, 'V'), UTOPIA[1]!.slice(0, 42) + '<<']
    const { reads } = await readBoth(visa)
    const clear = interpret(reads, AS_OF)
    expect(clear.ok && clear.mrz.format).toBe('MRVA')
    expect(clear.ok && clear.mrz.lines).toEqual(visa)
    hesitateTemplate(reads, 0, 0, 'V', 'P')
    const unclear = interpret(reads, AS_OF)
    expect(unclear.ok).toBe(false)
    expect(!unclear.ok && unclear.message).toMatch(/'P' from 'V'/)
  }, 60_000)

  it('in a zone too small to read surely, a template reading stands only if the recognizer forms no other', async () => {
    // Two misread digits of the document number whose errors cancel in the check digit and the
    // composite (both weighted 7): the template reading is valid and wrong. The recognizer reads
    // the number right but cannot read one letter of the name, so it forms no reading alone.
    const { reads, pp } = await readBoth(UTOPIA)
    misreadTemplate(reads, 1, 0, 'K')
    misreadTemplate(reads, 1, 3, '9')
    unsurePp(pp, 0, 6, 'R', 0.4)
    const templates = interpret(reads, AS_OF)
    expect(templates.ok && templates.mrz.documentNumber).toBe('K899902C3')
    expect(readPpAlone(pp, 44, AS_OF).ok).toBe(false)
    // Letters of a sure size: the template reader's reading stands, as it always has.
    const sure = vote(reads, pp, templates, AS_OF)
    expect(sure.ok && sure.mrz.documentNumber).toBe('K899902C3')
    // Below it, the recognizer's number satisfies every check digit too: two readings, refused.
    const small = vote(reads, pp, templates, AS_OF, { unsure: true })
    expect(small.ok).toBe(false)
    expect(!small.ok && small.message).toMatch(/Two readings/)
  }, 60_000)

  it('a disagreement in a name is reported unresolved, with both readings, never guessed', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // The template reader is sure of EPIKSSON; the recognizer reads ERIKSSON. Both pass every
    // check digit (names have none): the surname is left unresolved, everything else stands.
    misreadTemplate(reads, 0, 6, 'P')
    const templates = interpret(reads, AS_OF)
    expect(templates.ok && templates.mrz.lastName).toBe('EPIKSSON')
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok).toBe(true)
    if (!voted.ok) return
    expect(voted.mrz.lastName).toBeNull()
    expect(voted.mrz.unresolved).toEqual([
      { field: 'lastName', candidates: ['EPIKSSON', 'ERIKSSON'] },
    ])
    expect(voted.mrz.lines).toEqual([UTOPIA[0]!.slice(0, 6) + '?' + UTOPIA[0]!.slice(7), UTOPIA[1]])
    expect(voted.mrz.firstName).toBe('ANNA MARIA')
    expect(voted.mrz.documentNumber).toBe('L898902C3')
    expect(voted.mrz.dateOfBirth).toBe('1974-08-12')
    expect(voted.mrz.valid).toBe(true)
    // And the other way round: the template reader fails elsewhere, so the name is left
    // unresolved inside the vote itself.
    misreadTemplate(reads, 1, 1, '3')
    const templates2 = interpret(reads, AS_OF)
    expect(templates2.ok).toBe(false)
    const voted2 = vote(reads, pp, templates2, AS_OF)
    expect(voted2.ok && voted2.mrz.unresolved).toEqual([
      { field: 'lastName', candidates: ['EPIKSSON', 'ERIKSSON'] },
    ])
    expect(voted2.ok && voted2.mrz.documentNumber).toBe('L898902C3')
  }, 60_000)

  it('two valid readings that differ in a birth date, a number or the sex are unreadable', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    misreadTemplate(reads, 1, 1, '3')
    // F read as M by the recognizer, surely: the sex has no check digit, and a decision may
    // rest on it, so it is never left unresolved.
    misreadPp(pp, 1, 20, 'M')
    const voted = vote(reads, pp, interpret(reads, AS_OF), AS_OF)
    expect(voted.ok).toBe(false)
    expect(!voted.ok && voted.message).toMatch(/differing at character 21 of line 2/)
    // The message names the position, not the person's lines.
    expect(!voted.ok && voted.message).not.toMatch(/ERIKSSON|L898902C3/)
  }, 60_000)

  it('a letter in the fillers after the names is settled by the name syntax', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // The template reader is sure of an M among the fillers (…MARIA<<<<<M<<<…): a second '<<'
    // after the given names, which ICAO 9303-3 does not allow. The recognizer reads '<'.
    misreadTemplate(reads, 0, 39, 'M')
    misreadTemplate(reads, 1, 1, '3')
    const templates = interpret(reads, AS_OF)
    expect(templates.ok).toBe(false)
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
  }, 60_000)

  it('a sure template letter in a name stands against a recognizer that cannot say', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    misreadTemplate(reads, 1, 1, '3')
    // ERIKSSON's K read by the recognizer as '<' with a third of the probability: it cannot
    // say, and ERI<SSON would be a well-formed name too. The template reader's K stands.
    unsurePp(pp, 0, 8, '<', 0.34)
    const voted = vote(reads, pp, interpret(reads, AS_OF), AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
    // Sure of its '<', the recognizer leaves two well-formed names: the surname is unresolved.
    misreadPp(pp, 0, 8, '<')
    const split = vote(reads, pp, interpret(reads, AS_OF), AS_OF)
    expect(split.ok && split.mrz.lastName).toBeNull()
    expect(split.ok && split.mrz.unresolved).toEqual([
      { field: 'lastName', candidates: ['ERIKSSON', 'ERI SSON'] },
    ])
  }, 60_000)

  it('fillers neither reader is sure of are settled by the zone’s own fillers', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    misreadTemplate(reads, 1, 1, '3')
    // A print whose '<' the recognizer does not know (it reads E, without conviction) and the
    // templates hardly tell from K: every filler after the names has two candidates, too many
    // for the check digits to try, and none of them looks at line 1 anyway.
    for (let p = 26; p < 44; p++) {
      hesitateTemplate(reads, 0, p, '<', 'K')
      unsurePp(pp, 0, p, 'E', 0.4)
    }
    // Line 2's fillers, read alike by both, show what '<' looks like in this zone; the E of
    // ERIKSSON what E does. Each hesitant cell is plainly the former.
    const voted = vote(reads, pp, interpret(reads, AS_OF), AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
  }, 60_000)

  it('a check digit does not settle characters of equal value modulo 10 (L, B, V, 1)', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // Document number L898902C3: its first character L (21) and B (11) weigh alike in every
    // check digit, so B898902C3 passes them all. A recognizer torn between B and L does not
    // veto the template reader's sure L; before, its B counted as checked and refused the zone.
    const scores = new Float32Array(MRZ_CHARSET.length)
    scores[MRZ_CHARSET.indexOf('B')] = 0.55
    scores[MRZ_CHARSET.indexOf('L')] = 0.45
    pp[1]![0] = { ch: 'B', p: 0.55, scores }
    expect(readPpAlone(pp, 44, AS_OF).ok).toBe(false)
    const voted = vote(reads, pp, interpret(reads, AS_OF), AS_OF)
    expect(voted.ok && voted.mrz.lines).toEqual(UTOPIA)
    // Sure of its B, it leaves two readings that satisfy every check digit: unreadable.
    misreadPp(pp, 1, 0, 'B')
    expect(vote(reads, pp, interpret(reads, AS_OF), AS_OF).ok).toBe(false)
  }, 60_000)

  it('a sure recognizer vetoes a template character no check digit tells from its own', async () => {
    // The template reader takes the document number's L (21) for a B (11): every check digit
    // still holds. The recognizer reads the L surely but cannot read a letter of the name, so it
    // forms no reading of its own; before, the template reading stood at any letter size.
    const { reads, pp } = await readBoth(UTOPIA)
    misreadTemplate(reads, 1, 0, 'B')
    unsurePp(pp, 0, 6, 'R', 0.4)
    const templates = interpret(reads, AS_OF)
    expect(templates.ok && templates.mrz.documentNumber).toBe('B898902C3')
    expect(readPpAlone(pp, 44, AS_OF).ok).toBe(false)
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok).toBe(false)
    expect(!voted.ok && voted.message).toMatch(/character 1 of line 2 \('B' or 'L'\)/)
  }, 60_000)

  it('two readings that both satisfy a check digit are unreadable', async () => {
    const { reads, pp } = await readBoth(UTOPIA)
    // Birth date 740812, check digit 2. Read as 740829 (the 1 at weight 3 as 2, the 2 at
    // weight 1 as 9: +3 − 3) it still satisfies its own check digit, and the composite too
    // (weights 1 and 7 there: +1 − 21).
    expect(UTOPIA[1]!.slice(13, 19)).toBe('740812')
    misreadTemplate(reads, 1, 17, '2')
    misreadTemplate(reads, 1, 18, '9')
    const templates = interpret(reads, AS_OF)
    // The template reader alone takes the wrong date; the recognizer's own valid reading vetoes.
    expect(templates.ok && templates.mrz.lines[1]!.slice(13, 19)).toBe('740829')
    const voted = vote(reads, pp, templates, AS_OF)
    expect(voted.ok).toBe(false)
    expect(!voted.ok && voted.message).toMatch(/differing at character 18 of line 2/)
    expect(!voted.ok && voted.message).not.toMatch(/740812|740829/)
  }, 60_000)

  it('reads the recognizer at the template reader’s cells, so a doubled character stays two', async () => {
    const { pp } = await readBoth(UTOPIA)
    // Birth date 740812 and its check digit 2: CTC alone needs a blank between the two 2s.
    expect(
      pp[1]!
        .map((c) => c.ch)
        .join('')
        .slice(13, 20),
    ).toBe('7408122')
    expect(pp.every((line) => line.length === 44)).toBe(true)
  }, 60_000)

  it('reads a specimen passport photo with PP-OCR alone and by vote', async () => {
    const specimen = await generateMrzSpecimen(7, { format: 'TD3', asOf: AS_OF })
    const decoded = await decodeDocumentImage(specimen.image)
    if (!decoded.ok) throw new Error('specimen did not decode')
    for (const reader of ['ppocr', 'vote'] as const) {
      const r = await readMrz(decoded.image, { asOf: AS_OF, reader })
      expect(r.ok && r.mrz.lines).toEqual(specimen.lines)
    }
  }, 120_000)
})
