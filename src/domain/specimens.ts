// Specimen documents: the sample passports and cards issuers and standards publish, and the ones
// Loom's own generator draws (src/specimen), which anyone can download and print. They prove
// nothing about a person, so live mode refuses them (`specimen_document`); test mode takes them.
import type { InspectSuccess } from '../engine/types.ts'

/**
 * ICAO reserves `UTO` (Utopia) for specimens (ICAO 9303-3 §5, the examples of parts 4–7), and
 * issuers print the word SPECIMEN (or SAMPLE, MUSTER) on theirs. Loom's generator puts SPECIMEN
 * first among the given names of every document it draws, so its output is told apart too.
 */
const SPECIMEN_STATE = 'UTO'
const SPECIMEN_WORDS = /\b(SPECIMEN|SPECIMENS|SAMPLE|MUSTER|MUSTERMANN|MUSTERFRAU|EXEMPLAR)\b/

/**
 * Persons and numbers of widely published specimens (each a whole name or number, never one
 * common word): ICAO 9303's example persons and document numbers, Germany's Erika Mustermann,
 * the Netherlands' Willeke Liselotte De Bruijn, Spain's Carmen Española Española, France's
 * Maëlys-Gaëlle Martin, the United Kingdom's "UK Specimen".
 */
const SPECIMEN_NAMES: [string, string][] = [
  ['ERIKSSON', 'ANNA MARIA'],
  ['MUSTERMANN', 'ERIKA'],
  ['DE BRUIJN', 'WILLEKE LISELOTTE'],
  ['ESPANOLA ESPANOLA', 'CARMEN'],
  ['MARTIN', 'MAELYS GAELLE'],
  ['UK SPECIMEN', 'ANGELA ZOE'],
]
const SPECIMEN_NUMBERS = new Set(['L898902C3', 'D23145890', 'C01X00T47', 'T22000129'])

const words = (name: string | null): string =>
  (name ?? '')
    .toUpperCase()
    .replace(/[^A-Z]+/g, ' ')
    .trim()

/** Why a reading looks like a specimen; empty when nothing does. */
export function specimenSigns(read: InspectSuccess): string[] {
  const signs: string[] = []
  const { person, document } = read
  if (document.issuer === SPECIMEN_STATE || person.nationality === SPECIMEN_STATE) {
    signs.push('issued by Utopia (UTO), ICAO’s specimen state')
  }
  // A name the MRZ readers left unresolved is null: each of its readings is looked at instead.
  const readings = (field: 'lastName' | 'firstName'): string[] =>
    (read.mrz?.unresolved?.find((u) => u.field === field)?.candidates ?? [person[field]]).map(words)
  const lasts = readings('lastName')
  const firsts = readings('firstName')
  if ([...lasts, ...firsts].some((name) => SPECIMEN_WORDS.test(name))) {
    signs.push('the name says it is a specimen')
  } else if (
    SPECIMEN_NAMES.some(
      ([l, f]) => lasts.includes(l) && firsts.some((first) => first.startsWith(f)),
    )
  ) {
    signs.push('the holder is a published specimen person')
  }
  const number = (document.number ?? '').toUpperCase()
  if (SPECIMEN_NUMBERS.has(number)) signs.push('a published specimen document number')
  if (read.mrz?.lines.some((line) => line.includes('SPECIMEN'))) {
    if (!signs.includes('the name says it is a specimen')) signs.push('the MRZ says SPECIMEN')
  }
  return signs
}
