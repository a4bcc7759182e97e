// Where each subfile of an AAMVA payload really is. The directory (D.12.3) is a hint, not the
// truth: a subfile is taken where its designator points when its type (or its first element) is
// there, else where its type is found at the start of a record.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR, RS and FS are control characters (D.12.3) */
import type { Designator } from './header.ts'

// Standard data element identifiers are DAA…DDZ (D.12.5.1; DL/ID-2000 used the same ranges).
const STANDARD_ELEMENT = /^D[A-D][A-Z]/
const SEPARATOR = /[\n\r\x1e\x1c]/

export interface Located {
  type: string
  /** Where the subfile begins: its type, or its first element when the type is missing. */
  start: number
  /** Where its data elements begin. */
  bodyStart: number
  designator: Designator | null
  /** The directory's offset points at this subfile (give or take the one character issuers miss). */
  vouched: boolean
}

/**
 * Whether a subfile type holds the standard data: `DL` or `ID` (D.12.3), or `EN`, which newer
 * enhanced licences (New York's version-10 captures) give their DL subfile; SDKs read it as an
 * enhanced driver licence.
 */
export function isStandardType(type: string): boolean {
  return type === 'DL' || type === 'ID' || type === 'EN'
}

/**
 * Where each subfile starts: where the directory points when its type (or, for a DL/ID subfile
 * without its type, its first element) is there, else where its designator is found.
 */
export function locateSubfiles(
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
      if (designators.length === 0) found.push(...jurisdictionSubfilesByType(text, at, taken))
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

/**
 * Jurisdiction subfiles after the standard one, for a payload without a directory. Only a type at
 * the start of a record whose first element repeats it ("ZVZVA…") is taken; anywhere else "ZV"
 * may be data, and the subfile is left inside the one before it (where its elements are not
 * read as standard data).
 */
function jurisdictionSubfilesByType(text: string, from: number, taken: Set<number>): Located[] {
  const found: Located[] = []
  for (const m of text.slice(from).matchAll(/Z([A-Z0-9])(?=Z\1[A-Z0-9])/g)) {
    const at = from + m.index
    const type = m[0]
    if (taken.has(at) || found.some((s) => s.type === type)) continue
    if (!atRecordStart(text, at, from)) continue
    taken.add(at)
    found.push({ type, start: at, bodyStart: at + 2, designator: null, vouched: false })
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
