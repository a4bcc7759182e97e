// The header and the subfile directory of an AAMVA DL/ID payload (Annex D, D.12.3): compliance
// indicator and separators, file type, IIN, version numbers, number of entries, then one
// designator (type, offset, length) per subfile. Damage is repaired and named in `repairs`; a
// header that cannot be read is refused with its reason.
import { CR, FS, LF, RS } from './payload-text.ts'

// Annex D, D.12.3: compliance indicator '@', data element separator LF, record separator RS,
// segment terminator CR, then the file type.
const STANDARD_PREFIX = `@${LF}${RS}${CR}`
// AIM symbology identifier a scanner may prefix: "]L" and a modifier character for PDF417
// (ISO/IEC 15424).
const SYMBOLOGY_IDENTIFIER = /\]L[0-9A-Z]/
const HEADER = /(ANSI *|AAMVA *)(\d{6})(\d{2})/
const LAST_KNOWN_VERSION = 10
const LAST_PLAUSIBLE_VERSION = 19
const DESIGNATOR = /^([A-Z][A-Z0-9])(\d{4})(\d{4})/

export interface Designator {
  type: string
  offset: number
  length: number
}

export interface Header {
  fileType: 'ANSI' | 'AAMVA'
  iin: string
  version: number
  jurisdictionVersion: number | null
  entries: number
  /** Where offset 0 is: the compliance indicator's nominal place. */
  base: number
  /** Just after the header (and before the directory). */
  cursor: number
}

/** A header that cannot be read, and why. */
export interface HeaderRefusal {
  refused: string
}

/** The header: prefix, file type, IIN, version numbers and number of entries (D.12.3). */
export function readHeader(text: string, repairs: string[]): Header | HeaderRefusal {
  const header = HEADER.exec(text)
  if (header === null) return refuse('no AAMVA header (file type ANSI or AAMVA, IIN, version)')
  const headerAt = header.index
  const fileTypeRaw = header[1] ?? ''
  const iin = header[2] ?? ''
  const version = Number(header[3])
  // Versions 00 to 10 exist (CDS 2020); a few more may follow. A larger number is not a version
  // but a header read out of step (an IIN that lost or gained a digit): nothing in it is sure.
  if (version > LAST_PLAUSIBLE_VERSION)
    return refuse(`the header's version number ${header[3]} is not an AAMVA version`)
  if (version > LAST_KNOWN_VERSION) repairs.push('version_unknown')
  // 'ANSI ' takes one space and 'AAMVA' none; samples also give 'ANSI', 'ANSI  ' or 'AAMVA '.
  if (fileTypeRaw !== 'ANSI ' && fileTypeRaw !== 'AAMVA') repairs.push('file_type_space')
  // AAMVA members hold ISO/IEC 7812 numbers of the major industry 6 (636xxx, 604xxx); sample
  // and test payloads carry others. Read them; the jurisdiction is then unknown (null).
  if (!iin.startsWith('6')) repairs.push('iin_not_iso')

  // The prefix: everything between the start and the file type should be '@' LF RS CR.
  const prefixArea = text.slice(0, headerAt)
  const at = prefixArea.lastIndexOf('@')
  const lead = at < 0 ? prefixArea : prefixArea.slice(0, at)
  const symbology = SYMBOLOGY_IDENTIFIER.exec(lead)
  if (symbology !== null) repairs.push('symbology_identifier')
  const otherLead = symbology === null ? lead : lead.replace(symbology[0], '')
  if (at < 0) {
    if (otherLead.trim().length > 4) return refuse('no compliance indicator before the header')
    repairs.push('missing_compliance_indicator')
  } else {
    if (otherLead.length > 0)
      repairs.push(otherLead.trim() === '' ? 'leading_whitespace' : 'leading_junk')
    const separators = prefixArea.slice(at + 1)
    if (separators !== `${LF}${RS}${CR}`) {
      // Copies of payloads in source files may indent the header's line.
      if (separators.replace(/[ \t]/g, '').length > 6)
        return refuse('unexpected data before the header')
      if (separators.includes(FS) && !separators.includes(RS)) repairs.push('fs_for_rs')
      else if (!separators.includes(RS)) repairs.push('missing_record_separator')
      else repairs.push('header_separators')
    }
  }
  // Directory offsets count from the compliance indicator (D.12.3); with a damaged prefix the
  // indicator's nominal place is four characters before the file type.
  const base = headerAt - STANDARD_PREFIX.length

  let cursor = headerAt + header[0].length
  const rest = text.slice(cursor)
  // Version 01 headers have no jurisdiction version number (DL/ID-2000 Annex D); from version
  // 02 on it follows the AAMVA version. Prefer the layout the version says, accept the other.
  const withJurisdiction = /^(\d{2})(\d{2})[A-Z][A-Z0-9]\d{8}/.exec(rest)
  const withoutJurisdiction = /^(\d{2})[A-Z][A-Z0-9]\d{8}/.exec(rest)
  let jurisdictionVersion: number | null = null
  let entries: number
  if (version >= 2 && withJurisdiction !== null) {
    jurisdictionVersion = Number(withJurisdiction[1])
    entries = Number(withJurisdiction[2])
    cursor += 4
  } else if (withoutJurisdiction !== null) {
    entries = Number(withoutJurisdiction[1])
    cursor += 2
    if (version >= 2) repairs.push('header_without_jurisdiction_version')
  } else if (withJurisdiction !== null) {
    jurisdictionVersion = Number(withJurisdiction[1])
    entries = Number(withJurisdiction[2])
    cursor += 4
  } else {
    // A designator after an odd number of digits: the header was read out of step (an IIN
    // that lost or gained a digit), and its IIN and version numbers are not the issuer's.
    const outOfStep = /^(\d+)[A-Z][A-Z0-9]\d{8}/.exec(rest)
    if (outOfStep !== null && (outOfStep[1] ?? '').length % 2 === 1)
      return refuse("the header's numbers do not line up with its directory")
    // Pre-standard payloads may lack a directory; the subfile is then found by its type.
    const counts = /^(\d{2})(\d{2})?/.exec(rest)
    entries = counts === null ? 0 : Number(counts[2] ?? counts[1])
    if (counts !== null) {
      jurisdictionVersion = counts[2] === undefined ? null : Number(counts[1])
      cursor += counts[0].length
    }
    repairs.push('missing_directory')
  }
  return {
    fileType: fileTypeRaw.startsWith('AAMVA') ? 'AAMVA' : 'ANSI',
    iin,
    version,
    jurisdictionVersion,
    entries,
    base,
    cursor,
  }
}

/** The subfile designators that follow the header, up to the first that is not one. */
export function readDirectory(
  text: string,
  from: number,
): { designators: Designator[]; end: number } {
  let cursor = from
  const designators: Designator[] = []
  for (;;) {
    const d = DESIGNATOR.exec(text.slice(cursor, cursor + 10))
    if (d === null) break
    designators.push({ type: d[1] ?? '', offset: Number(d[2]), length: Number(d[3]) })
    cursor += 10
  }
  return { designators, end: cursor }
}

function refuse(reason: string): HeaderRefusal {
  return { refused: reason }
}
