// Reads the structure of an AAMVA DL/ID PDF417 payload: header, subfile directory, subfiles and
// data elements. Layout from the AAMVA DL/ID Card Design Standard (2020), Annex D, D.12.3
// ("Header", "Subfile designator") and D.12.5 (data elements); versions 01 (DL/ID-2000) to 10
// (CDS 2020) share it, except that version 01 has no jurisdiction version number.
//
// Real payloads arrive damaged in known ways (byte-order mark, scanner artefacts, separators
// swapped or replaced by '|', CR LF line ends, directory offsets and lengths that do not match
// the data, a subfile without its type). The directory is a hint, not the truth: each subfile is
// taken where its designator and its element identifiers are, and every departure is named in
// `repairs`. Anything that cannot be read for certain is a failure or left out, never a guess:
// an element that may have been cut off is dropped, and a payload that ends before the fields
// that matter is refused.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR, RS and FS are control characters (D.12.3) */
import type { AamvaSubfile } from './elements.ts'
import { readSubfile } from './elements.ts'
import { readDirectory, readHeader } from './header.ts'
import { payloadText, withoutArtefacts } from './payload-text.ts'
import { isStandardType, locateSubfiles } from './subfiles.ts'

export type { AamvaSubfile } from './elements.ts'
export { payloadText }

/** Why a payload is not an AAMVA DL/ID payload we can trust. */
export interface AamvaParseFailure {
  fail: 'AAMVA_INVALID'
  reason: string
}

export interface AamvaPayload {
  fileType: 'ANSI' | 'AAMVA'
  iin: string
  /** AAMVA version number: 0 pre-standard, 1 DL/ID-2000, 2…10 the Card Design Standards. */
  version: number
  /** Jurisdiction version number; absent (null) in version 01 and earlier headers. */
  jurisdictionVersion: number | null
  /** Number of entries the header declares. */
  entries: number
  /** The `DL` or `ID` subfile whose elements carry the standard data. */
  standard: AamvaSubfile
  /** Jurisdiction-specific (`Z…`) subfiles; never read for standard data. */
  jurisdictionSubfiles: AamvaSubfile[]
  /** What was wrong with the payload and repaired, in the order found. */
  repairs: string[]
}

// The elements that matter: a payload cut off before one of these is refused, not read.
const KEY_ELEMENTS: [string, string[]][] = [
  ['date of birth (DBB)', ['DBB']],
  ['expiry date (DBA)', ['DBA']],
  ['family name (DCS)', ['DCS', 'DAB', 'DAA']],
  ['first name (DAC)', ['DAC', 'DCT', 'DAA']],
]

/** Parses an AAMVA DL/ID barcode payload into its header and subfiles, repairing known damage. */
export function parseAamvaPayload(raw: string | Uint8Array): AamvaPayload | AamvaParseFailure {
  const repairs: string[] = []
  const text = withoutArtefacts(payloadText(raw), repairs)

  const header = readHeader(text, repairs)
  if ('refused' in header) return invalid(header.refused)

  const { designators, end: directoryEnd } = readDirectory(text, header.cursor)
  if (designators.length > 0 && designators.length !== header.entries) repairs.push('entry_count')

  const located = locateSubfiles(text, header.base, directoryEnd, designators, repairs)
  const standardAt = located.find((s) => isStandardType(s.type))
  if (standardAt === undefined) {
    const declared = designators.find((d) => isStandardType(d.type))
    if (declared !== undefined && header.base + declared.offset >= text.trimEnd().length)
      return invalid(`payload is truncated before its ${declared.type} subfile`)
    return invalid('no DL or ID subfile (no subfile type, and no directory entry naming one)')
  }

  // A subfile runs to the next one, or to the end of the payload. The directory's lengths are
  // checked against that, never used to cut.
  const ordered = [...located].sort((a, b) => a.start - b.start)
  const textEnd = text.replace(/[ \t]+$/, '').length
  const subfiles: AamvaSubfile[] = []
  let lengthsDisagree = false
  let standardCutShort = false
  let shortBy = 0
  for (const [i, s] of ordered.entries()) {
    const next = ordered[i + 1]
    const end = next === undefined ? text.length : next.start
    const body = text.slice(s.bodyStart, end)
    const terminated = /[\n\r\x1e\x1c][ \t]*$/.test(body)
    if (!terminated) repairs.push('missing_segment_terminator')
    else if (/[^\r]\n[ \t]*$/.test(body) && !repairs.includes('pipe_separators'))
      repairs.push('lf_terminators')

    // The directory's length is checked against the data from where the subfile really starts.
    // It speaks for a cut only when its offset led here too: a directory copied from another
    // payload says nothing about this one.
    if (s.designator !== null) {
      const declaredEnd = s.start + s.designator.length
      const actualEnd = next === undefined ? textEnd : end
      // A subfile without its type may or may not count the two characters it lacks.
      const slack = s.bodyStart === s.start ? 3 : 1
      if (declaredEnd > actualEnd + slack && next === undefined && s.vouched) {
        repairs.push('shorter_than_declared')
        shortBy = declaredEnd - actualEnd
        if (isStandardType(s.type)) standardCutShort = true
      } else if (Math.abs(declaredEnd - actualEnd) > slack) {
        lengthsDisagree = true
      }
    }
    // Whether the last element is whole: the next subfile or a terminator says so. Nothing else
    // does (a directory's length can agree by chance with a payload that was both padded out
    // and cut), so otherwise it is kept only when its form is fixed and complete.
    const lastMayBeCut = isStandardType(s.type) && next === undefined && !terminated
    subfiles.push(readSubfile(s.type, body, lastMayBeCut, repairs, header.version))
  }
  if (lengthsDisagree) repairs.push('directory_lengths')

  const standard = subfiles.find((s) => s.type === standardAt.type)
  if (standard?.runTogether && !standard.elements.has('DBB'))
    return invalid(
      "the DL/ID subfile's elements run together with no separator, and they cannot be told apart safely (a name holds an element identifier, or two ways of cutting them give different names)",
    )
  if (standard === undefined || (standard.elements.size === 0 && standard.conflicts.length === 0))
    return invalid('the DL/ID subfile holds no data elements')
  if (standardCutShort) {
    const missing = KEY_ELEMENTS.filter(([, ids]) => !ids.some((id) => standard.elements.has(id)))
    if (missing.length > 0) {
      return invalid(
        `payload is truncated: it ends ${shortBy} characters before its header says, without the ${missing.map(([name]) => name).join(', ')}`,
      )
    }
  }
  return {
    fileType: header.fileType,
    iin: header.iin,
    version: header.version,
    jurisdictionVersion: header.jurisdictionVersion,
    entries: header.entries,
    standard,
    jurisdictionSubfiles: subfiles.filter((s) => s.type.startsWith('Z')),
    repairs: [...new Set(repairs)],
  }
}

function invalid(reason: string): AamvaParseFailure {
  return { fail: 'AAMVA_INVALID', reason }
}
