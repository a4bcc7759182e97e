// Reads the structure of an AAMVA DL/ID PDF417 payload: header, subfile directory, subfiles and
// data elements. Layout from the AAMVA DL/ID Card Design Standard (2020), Annex D, D.12.3
// ("Header", "Subfile designator") and D.12.5 (data elements); versions 01 (DL/ID-2000) to 10
// (CDS 2020) share it, except that version 01 has no jurisdiction version number.
//
// Real payloads arrive damaged in known ways (byte-order mark, scanner junk, separators swapped,
// directory offsets that do not match the data). Each is repaired here and named in `repairs`;
// anything that cannot be read for certain is a failure, never a guess.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR, RS and FS are control characters (D.12.3) */

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
// Scanners in keyboard mode and some decoders emit them (NUL padding, GS, ESC, DEL).
const JUNK_CONTROLS = /[\x00-\x09\x0b\x0c\x0e-\x1b\x1d\x1f\x7f]/g

const HEADER = /(ANSI ?|AAMVA)(\d{6})(\d{2})/
const DESIGNATOR = /^([A-Z][A-Z0-9])(\d{4})(\d{4})/
const ELEMENT = /^([A-Z][A-Z0-9]{2})([\s\S]*)$/

interface Designator {
  type: string
  offset: number
  length: number
}

interface Located {
  type: string
  start: number
}

/** Parses an AAMVA DL/ID barcode payload into its header and subfiles, repairing known damage. */
export function parseAamvaPayload(raw: string | Uint8Array): AamvaPayload | AamvaParseFailure {
  const repairs: string[] = []
  let text = payloadText(raw)

  if (text.startsWith('\ufeff') || text.startsWith('\u00ef\u00bb\u00bf')) {
    text = text.slice(text.startsWith('\ufeff') ? 1 : 3)
    repairs.push('bom')
  }
  const withoutJunk = text.replace(JUNK_CONTROLS, '')
  if (withoutJunk.length !== text.length) {
    text = withoutJunk
    repairs.push('control_characters')
  }

  const header = HEADER.exec(text)
  if (header === null) return invalid('no AAMVA header (file type ANSI or AAMVA, IIN, version)')
  const headerAt = header.index
  const fileTypeRaw = header[1] ?? ''
  const iin = header[2] ?? ''
  const version = Number(header[3])
  if (fileTypeRaw === 'ANSI') repairs.push('file_type_space')
  if (!/^[0-9]{6}$/.test(iin) || !iin.startsWith('6'))
    return invalid('IIN is not an ISO 7812 issuer number')
  if (version > 99) return invalid('AAMVA version out of range')

  // The prefix: everything between the start and the file type should be '@' LF RS CR.
  const prefixArea = text.slice(0, headerAt)
  const at = prefixArea.lastIndexOf('@')
  if (at < 0) {
    if (headerAt > 8) return invalid('no compliance indicator before the header')
    repairs.push('missing_compliance_indicator')
  } else {
    const before = prefixArea.slice(0, at)
    if (before.length > 0)
      repairs.push(before.trim() === '' ? 'leading_whitespace' : 'leading_junk')
    const separators = prefixArea.slice(at + 1)
    if (separators !== `${LF}${RS}${CR}`) {
      if (separators.length > 6) return invalid('unexpected data before the header')
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

  const designators: Designator[] = []
  for (;;) {
    const d = DESIGNATOR.exec(text.slice(cursor, cursor + 10))
    if (d === null) break
    designators.push({ type: d[1] ?? '', offset: Number(d[2]), length: Number(d[3]) })
    cursor += 10
  }
  const directoryEnd = cursor
  if (designators.length > 0 && designators.length !== entries) repairs.push('entry_count')

  const located = locateSubfiles(text, base, directoryEnd, designators, repairs)
  const standardAt = located.find((s) => s.type === 'DL' || s.type === 'ID')
  if (standardAt === undefined) return invalid('no DL or ID subfile')

  // A subfile runs to the next one, or to the end of the payload.
  const ordered = [...located].sort((a, b) => a.start - b.start)
  const subfiles: AamvaSubfile[] = []
  let lengthsDisagree = false
  let truncated = false
  for (const [i, s] of ordered.entries()) {
    const next = ordered[i + 1]
    const end = next === undefined ? text.length : next.start
    const body = text.slice(s.start + 2, end)
    const declared = designators.find((d) => d.type === s.type)
    if (declared !== undefined) {
      const declaredEnd = base + declared.offset + declared.length
      if (next === undefined) {
        const actualEnd = text.trimEnd().length
        const terminated = /[\r\n]\s*$/.test(body)
        if (declaredEnd > actualEnd + 1 && !terminated) truncated = true
        else if (Math.abs(declaredEnd - actualEnd) > 1) lengthsDisagree = true
      } else if (declaredEnd !== end) lengthsDisagree = true
    }
    subfiles.push({ type: s.type, elements: readElements(body, s.type, repairs) })
  }
  if (truncated) return invalid('payload is truncated: the last subfile ends before its length')
  if (lengthsDisagree) repairs.push('directory_lengths')

  const standard = subfiles.find((s) => s.type === standardAt.type)
  if (standard === undefined || standard.elements.size === 0) {
    return invalid('the DL/ID subfile holds no data elements')
  }
  return {
    fileType: fileTypeRaw === 'AAMVA' ? 'AAMVA' : 'ANSI',
    iin,
    version,
    jurisdictionVersion,
    entries,
    standard,
    jurisdictionSubfiles: subfiles.filter((s) => s.type.startsWith('Z')),
    repairs: [...new Set(repairs)],
  }
}

function invalid(reason: string): AamvaParseFailure {
  return { fail: 'AAMVA_INVALID', reason }
}

/** Where each subfile starts: at its directory offset when the type is there, else found by search. */
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
    let start = -1
    if (
      nominal >= directoryEnd &&
      text.startsWith(d.type, nominal) &&
      isSubfileStart(text, nominal, d.type)
    ) {
      start = nominal
    } else {
      start = searchSubfile(text, d.type, directoryEnd, taken)
      if (start >= 0) repairs.push('directory_offsets')
    }
    if (start >= 0 && !taken.has(start)) {
      taken.add(start)
      found.push({ type: d.type, start })
    }
  }
  if (!found.some((s) => s.type === 'DL' || s.type === 'ID')) {
    // No usable directory entry for the standard subfile: find one by its type.
    for (const type of ['DL', 'ID']) {
      const start = searchSubfile(text, type, directoryEnd, taken)
      if (start >= 0) {
        if (designators.length > 0) repairs.push('directory_offsets')
        taken.add(start)
        found.push({ type, start })
        break
      }
    }
  }
  return found
}

// A subfile starts with its type then the first element identifier: "DLDAQ…", "ZVZVA…". Some
// jurisdictions put a separator between the type and the first element.
function isSubfileStart(text: string, at: number, type: string): boolean {
  const after = text.slice(at + 2, at + 6).replace(/^[\n\r\x1e\x1c]/, '')
  const first = type.startsWith('Z') ? type[0] : 'D'
  return after.length >= 3 && after[0] === first && /^[A-Z][A-Z0-9]{2}$/.test(after.slice(0, 3))
}

function searchSubfile(text: string, type: string, from: number, taken: Set<number>): number {
  let at = text.indexOf(type, from)
  while (at >= 0) {
    // A subfile begins a record: at the start of data or after a separator.
    const prev = text[at - 1]
    const boundary = at === from || prev === CR || prev === LF || prev === RS || prev === FS
    if (boundary && !taken.has(at) && isSubfileStart(text, at, type)) return at
    at = text.indexOf(type, at + 1)
  }
  return -1
}

/** Splits a subfile body into its data elements. */
function readElements(body: string, type: string, repairs: string[]): Map<string, string> {
  const elements = new Map<string, string>()
  // D.12.5: elements are separated by LF and the subfile ends with CR. Damaged payloads use
  // CR, CR LF, RS or FS between elements.
  const inner = body.replace(/[\r\n\x1e\x1c\s]+$/, '')
  if (/\r\n|[\r\x1e\x1c]/.test(inner.replace(/^[\r\n\x1e\x1c]/, '')))
    repairs.push('element_separators')
  const standard = !type.startsWith('Z')
  for (const token of inner.split(/\r\n|[\n\r\x1e\x1c]/)) {
    const trimmed = token.replace(/^ +/, '')
    if (trimmed === '') continue
    const m = ELEMENT.exec(trimmed)
    if (m === null) {
      repairs.push('unreadable_element')
      continue
    }
    const id = m[1] ?? ''
    // A standard subfile holds only D… elements; Z… elements belong to a jurisdiction subfile
    // and may never stand in for standard data (D.12.5.2).
    if (standard && !id.startsWith('D')) {
      repairs.push('foreign_element')
      continue
    }
    if (!standard && id.startsWith('D')) continue
    const value = (m[2] ?? '').replace(/[ \t]+$/, '')
    if (elements.has(id)) {
      if (elements.get(id) !== value) repairs.push('duplicate_element')
      continue
    }
    elements.set(id, value)
  }
  return elements
}
