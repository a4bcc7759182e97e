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
import { parseAamvaDate } from './dates.ts'

/** Why a payload is not an AAMVA DL/ID payload we can trust. */
export interface AamvaParseFailure {
  fail: 'AAMVA_INVALID'
  reason: string
}

export interface AamvaSubfile {
  /** Two characters: `DL`, `ID`, or a jurisdiction subfile `Z?`. */
  type: string
  /** Data elements by their three-character identifier, values as given (trailing pad removed). */
  elements: Map<string, string>
  /** Identifiers given more than once with different values; neither value is in `elements`. */
  conflicts: string[]
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

const LF = '\n'
const RS = '\x1e'
const CR = '\r'
const FS = '\x1c'
// Annex D, D.12.3: compliance indicator '@', data element separator LF, record separator RS,
// segment terminator CR, then the file type.
const STANDARD_PREFIX = `@${LF}${RS}${CR}`

/** Decodes payload bytes: UTF-8 when valid, else ISO 8859-1 (one character per byte). */
export function payloadText(raw: string | Uint8Array): string {
  if (typeof raw === 'string') return raw
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw)
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return new TextDecoder('latin1').decode(raw)
  }
}

// Control characters that are neither AAMVA separators nor anything a payload may hold.
// Scanners in keyboard mode and some decoders emit them (NUL padding, STX/ETX/EOT framing, GS,
// ESC, DEL).
const JUNK_CONTROLS = /[\x00-\x09\x0b\x0c\x0e-\x1b\x1d\x1f\x7f]/g
// A byte-order mark, as a character or as its UTF-8 bytes read one per character.
const BOM = /\ufeff|\u00ef\u00bb\u00bf/g
// AIM symbology identifier a scanner may prefix: "]L" and a modifier character for PDF417
// (ISO/IEC 15424).
const SYMBOLOGY_IDENTIFIER = /\]L[0-9A-Z]/

const ESCAPED_SEPARATOR =
  /\\(?:n|r|u001[ceCE]|x1[ceCE])(?=D[A-D][A-Z]|Z[A-Z0-9]Z|ANSI|AAMVA|\\|\s*$)/g
const HEADER = /(ANSI *|AAMVA)(\d{6})(\d{2})/
const DESIGNATOR = /^([A-Z][A-Z0-9])(\d{4})(\d{4})/
const ELEMENT = /^([A-Z][A-Z0-9]{2})([\s\S]*)$/
// Standard data element identifiers are DAA…DDZ (D.12.5.1; DL/ID-2000 used the same ranges).
const STANDARD_ELEMENT = /^D[A-D][A-Z]/
const SEPARATOR = /[\n\r\x1e\x1c]/

// The elements that matter: a payload cut off before one of these is refused, not read.
const KEY_ELEMENTS: [string, string[]][] = [
  ['date of birth (DBB)', ['DBB']],
  ['expiry date (DBA)', ['DBA']],
  ['family name (DCS)', ['DCS', 'DAB', 'DAA']],
  ['first name (DAC)', ['DAC', 'DCT', 'DAA']],
]

interface Designator {
  type: string
  offset: number
  length: number
}

interface Located {
  type: string
  /** Where the subfile begins: its type, or its first element when the type is missing. */
  start: number
  /** Where its data elements begin. */
  bodyStart: number
  designator: Designator | null
  /** The directory's offset points at this subfile (give or take the one character issuers miss). */
  vouched: boolean
}

interface Header {
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

/** Parses an AAMVA DL/ID barcode payload into its header and subfiles, repairing known damage. */
export function parseAamvaPayload(raw: string | Uint8Array): AamvaPayload | AamvaParseFailure {
  const repairs: string[] = []
  const text = withoutArtefacts(payloadText(raw), repairs)

  const header = readHeader(text, repairs)
  if ('fail' in header) return header

  let cursor = header.cursor
  const designators: Designator[] = []
  for (;;) {
    const d = DESIGNATOR.exec(text.slice(cursor, cursor + 10))
    if (d === null) break
    designators.push({ type: d[1] ?? '', offset: Number(d[2]), length: Number(d[3]) })
    cursor += 10
  }
  const directoryEnd = cursor
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
    subfiles.push(readSubfile(s.type, body, lastMayBeCut, repairs))
  }
  if (lengthsDisagree) repairs.push('directory_lengths')

  const standard = subfiles.find((s) => s.type === standardAt.type)
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

function isStandardType(type: string): boolean {
  return type === 'DL' || type === 'ID'
}

/** Removes what scanners and copies add: a BOM, control characters, '|' for separators. */
function withoutArtefacts(input: string, repairs: string[]): string {
  let text = input
  const withoutBom = text.replace(BOM, '')
  if (withoutBom.length !== text.length) {
    text = withoutBom
    repairs.push('bom')
  }
  const withoutJunk = text.replace(JUNK_CONTROLS, '')
  if (withoutJunk.length !== text.length) {
    text = withoutJunk
    repairs.push('control_characters')
  }
  // A payload copied out of a log, JSON or source code may keep its separators as escapes
  // ("\n", "\u001e"); they are taken as separators only where they stand before element
  // identifiers, the header, another escape or the end.
  const escapes = text.match(ESCAPED_SEPARATOR)?.length ?? 0
  if (escapes >= 2) {
    text = text.replace(/\\(?:n|r|u001[eE]|x1[eE]|u001[cC]|x1[cC])/g, (e) =>
      e === '\\n' ? LF : e === '\\r' ? CR : /[eE]$/.test(e) ? RS : FS,
    )
    repairs.push('escaped_separators')
  }
  // Scanners in keyboard mode and logs that cannot show control characters write '|' for the
  // separators. It is taken as one only where it stands before element identifiers (or the
  // header, a jurisdiction subfile, the end), so a '|' inside a value of a proper payload stays.
  const pipes = text.match(/\|(?=D[A-D][A-Z]|Z[A-Z0-9]Z|ANSI|AAMVA|\s*$)/g)?.length ?? 0
  if (pipes >= 2 || /^[^@]{0,8}@\|/.test(text)) {
    text = text.replaceAll('|', LF)
    repairs.push('pipe_separators')
  }
  return text
}

/** The header: prefix, file type, IIN, version numbers and number of entries (D.12.3). */
function readHeader(text: string, repairs: string[]): Header | AamvaParseFailure {
  const header = HEADER.exec(text)
  if (header === null) return invalid('no AAMVA header (file type ANSI or AAMVA, IIN, version)')
  const headerAt = header.index
  const fileTypeRaw = header[1] ?? ''
  const iin = header[2] ?? ''
  const version = Number(header[3])
  if (fileTypeRaw.startsWith('ANSI') && fileTypeRaw !== 'ANSI ') repairs.push('file_type_space')
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
    if (otherLead.trim().length > 4) return invalid('no compliance indicator before the header')
    repairs.push('missing_compliance_indicator')
  } else {
    if (otherLead.length > 0)
      repairs.push(otherLead.trim() === '' ? 'leading_whitespace' : 'leading_junk')
    const separators = prefixArea.slice(at + 1)
    if (separators !== `${LF}${RS}${CR}`) {
      // Copies of payloads in source files may indent the header's line.
      if (separators.replace(/[ \t]/g, '').length > 6)
        return invalid('unexpected data before the header')
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
    fileType: fileTypeRaw === 'AAMVA' ? 'AAMVA' : 'ANSI',
    iin,
    version,
    jurisdictionVersion,
    entries,
    base,
    cursor,
  }
}

/**
 * Where each subfile starts: where the directory points when its type (or, for a DL/ID subfile
 * without its type, its first element) is there, else where its designator is found.
 */
function locateSubfiles(
  text: string,
  base: number,
  directoryEnd: number,
  designators: Designator[],
  repairs: string[],
): Located[] {
  const found: Located[] = []
  const taken = new Set<number>()
  for (const d of designators) {
    const nominal = base + d.offset
    // Issuers often count one character more or less (a separator forgotten or doubled).
    const near = [nominal, nominal - 1, nominal + 1].filter((p) => p >= directoryEnd)
    let hit: Located | null = null
    for (const at of near) {
      if (
        !taken.has(at) &&
        text.startsWith(d.type, at) &&
        isSubfileStart(text, at, d.type) &&
        plausibleStart(text, at, d.type, directoryEnd)
      ) {
        hit = { type: d.type, start: at, bodyStart: at + 2, designator: d, vouched: true }
        if (at !== nominal) repairs.push('directory_offsets')
        break
      }
    }
    if (hit === null && isStandardType(d.type)) {
      // The subfile's own type may be missing: its first element stands where it should be.
      for (const at of near) {
        if (!taken.has(at) && atRecordStart(text, at, directoryEnd) && startsElement(text, at)) {
          hit = { type: d.type, start: at, bodyStart: at, designator: d, vouched: true }
          repairs.push('missing_subfile_type')
          if (at !== nominal) repairs.push('directory_offsets')
          break
        }
      }
    }
    if (hit === null) {
      const at = searchSubfile(text, d.type, directoryEnd, taken)
      if (at >= 0) {
        hit = { type: d.type, start: at, bodyStart: at + 2, designator: d, vouched: false }
        repairs.push('directory_offsets')
      }
    }
    if (hit === null) {
      repairs.push('subfile_not_found')
      continue
    }
    taken.add(hit.start)
    found.push(hit)
  }
  if (found.some((s) => isStandardType(s.type))) return found

  // No usable directory entry for the standard subfile: find one by its type.
  for (const type of ['DL', 'ID']) {
    const at = searchSubfile(text, type, directoryEnd, taken)
    if (at >= 0) {
      if (designators.length > 0) repairs.push('directory_offsets')
      taken.add(at)
      found.push({ type, start: at, bodyStart: at + 2, designator: null, vouched: false })
      return found
    }
  }
  // Nor by its type: the elements may follow the directory with the type left out. The type
  // is then the one the directory names; without one it cannot be told, and nothing is read.
  let at = directoryEnd
  while (at < text.length && /[\s\x1e\x1c]/.test(text[at] ?? '')) at += 1
  const named = designators.filter((d) => isStandardType(d.type)).map((d) => d.type)
  const type = named[0]
  if (
    type !== undefined &&
    new Set(named).size === 1 &&
    !taken.has(at) &&
    startsElement(text, at)
  ) {
    repairs.push('missing_subfile_type', 'directory_offsets')
    found.push({ type, start: at, bodyStart: at, designator: null, vouched: false })
  }
  return found
}

// A subfile starts with its type then the first element identifier: "DLDAQ…", "ZVZVA…". Some
// jurisdictions put a separator between the type and the first element.
function isSubfileStart(text: string, at: number, type: string): boolean {
  const after = text.slice(at + 2, at + 6).replace(/^[\n\r\x1e\x1c]/, '')
  if (type.startsWith('Z')) return /^Z[A-Z0-9]{2}/.test(after)
  return STANDARD_ELEMENT.test(after)
}

function startsElement(text: string, at: number): boolean {
  return STANDARD_ELEMENT.test(text.slice(at, at + 3))
}

/** At the start of the data, or after a separator (and the indentation of a copied payload). */
function atRecordStart(text: string, at: number, from: number): boolean {
  let i = at
  while (i > from && (text[i - 1] === ' ' || text[i - 1] === '\t')) i -= 1
  return i === from || SEPARATOR.test(text[i - 1] ?? '')
}

function searchSubfile(text: string, type: string, from: number, taken: Set<number>): number {
  const starts: number[] = []
  for (let at = text.indexOf(type, from); at >= 0; at = text.indexOf(type, at + 1)) {
    if (!taken.has(at) && isSubfileStart(text, at, type)) starts.push(at)
  }
  // A subfile begins a record: at the start of the data or after a separator.
  const bounded = starts.find((at) => atRecordStart(text, at, from))
  if (bounded !== undefined) return bounded
  return starts.find((at) => plausibleStart(text, at, type, from)) ?? -1
}

/**
 * Whether a subfile can start here: at a record start; or, with the separator before it lost, a
 * jurisdiction subfile whose elements repeat its type ("ZVZVA…"), or the standard subfile with
 * nothing that looks like data before it (a directory entry without its type, say).
 */
function plausibleStart(text: string, at: number, type: string, from: number): boolean {
  if (atRecordStart(text, at, from)) return true
  if (type.startsWith('Z')) return text.startsWith(type, at + 2)
  const before = text.slice(from, at)
  return !before.split(SEPARATOR).some((t) => STANDARD_ELEMENT.test(t.trim()))
}

/** Splits a subfile body into its data elements. */
function readSubfile(
  type: string,
  body: string,
  lastMayBeCut: boolean,
  repairs: string[],
): AamvaSubfile {
  // D.12.5: elements are separated by LF and the subfile ends with CR. Damaged payloads use
  // CR LF, CR, RS or FS between elements.
  const inner = body.replace(/^[\n\r\x1e\x1c]/, '').replace(/[\r\n\x1e\x1c\s]+$/, '')
  if (inner.includes('\r\n')) repairs.push('crlf_segments')
  else if (inner.includes(CR)) repairs.push('cr_separators')
  if (/[\x1e\x1c]/.test(inner)) repairs.push('element_separators')
  if (/\r\n[ \t]*$/.test(body)) repairs.push('crlf_segments')

  const standard = !type.startsWith('Z')
  const tokens: [string, string][] = []
  for (const token of inner.split(/\r\n|[\n\r\x1e\x1c]/)) {
    // Copies of payloads in source files keep the lines' indentation.
    const trimmed = token.replace(/^[ \t]+/, '')
    if (trimmed === '') continue
    const m = ELEMENT.exec(trimmed)
    if (m === null) {
      repairs.push('unreadable_element')
      continue
    }
    tokens.push([m[1] ?? '', (m[2] ?? '').replace(/[ \t]+$/, '')])
  }
  const last = tokens.at(-1)
  if (lastMayBeCut && last !== undefined && !isCompleteFixedForm(last[0], last[1])) {
    // Nothing says the last element is whole: a variable-length value may have been cut.
    tokens.pop()
    repairs.push('unterminated_last_element')
  }

  const elements = new Map<string, string>()
  const conflicts = new Set<string>()
  for (const [id, value] of tokens) {
    // A standard subfile holds only D… elements; Z… elements belong to a jurisdiction subfile
    // and may never stand in for standard data (D.12.5.2).
    if (standard && !id.startsWith('D')) {
      repairs.push('foreign_element')
      continue
    }
    if (!standard && id.startsWith('D')) continue
    if (conflicts.has(id)) continue
    const earlier = elements.get(id)
    if (earlier === undefined) {
      elements.set(id, value)
    } else if (earlier !== value) {
      // Two values for one element: neither is trusted.
      elements.delete(id)
      conflicts.add(id)
      repairs.push('conflicting_element')
    }
  }
  return { type, elements, conflicts: [...conflicts] }
}

// Elements of fixed form (D.12.5.1, "F" lengths): when such a value is complete, it was not cut.
const FIXED_FORMS: Record<string, RegExp> = {
  DBC: /^[0-9MFX]$/,
  DAY: /^[A-Z]{3}$/,
  DAU: /^\d{3} ?(in|cm|IN|CM)$/,
  DAJ: /^[A-Z]{2}$/,
  DCG: /^[A-Z]{3}$/,
  DDE: /^[TNU]$/,
  DDF: /^[TNU]$/,
  DDG: /^[TNU]$/,
  DDA: /^[A-Z]$/,
  DDD: /^\d$/,
  DDK: /^\d$/,
  DDL: /^\d$/,
  DAW: /^\d{3}$/,
  DAX: /^\d{3}$/,
  DCE: /^\d$/,
}
const DATE_ELEMENTS = new Set(['DBA', 'DBB', 'DBD', 'DDB', 'DDC', 'DDH', 'DDI', 'DDJ'])

function isCompleteFixedForm(id: string, value: string): boolean {
  if (DATE_ELEMENTS.has(id)) return parseAamvaDate(value) !== null
  return FIXED_FORMS[id]?.test(value) ?? false
}
