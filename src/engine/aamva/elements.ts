// The data elements of one AAMVA subfile (D.12.5): split on whatever separators the payload
// uses, a last element that may have been cut off dropped, and an element given twice with
// different values kept out.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR, RS and FS are control characters (D.12.3) */
import { parseAamvaDate } from './dates.ts'
import { CR } from './payload-text.ts'
import { DATE_ELEMENTS, FIXED_FORMS } from './forms.ts'
import { runsTogether, splitRunTogether } from './run-together.ts'

export interface AamvaSubfile {
  /** Two characters: `DL`, `ID`, or a jurisdiction subfile `Z?`. */
  type: string
  /** Data elements by their three-character identifier, values as given (trailing pad removed). */
  elements: Map<string, string>
  /** Identifiers given more than once with different values; neither value is in `elements`. */
  conflicts: string[]
  /** Elements run together with no separator, and they could not be told apart safely. */
  runTogether?: true
}

const ELEMENT = /^([A-Z][A-Z0-9]{2})([\s\S]*)$/

/** Splits a subfile body into its data elements. */
export function readSubfile(
  type: string,
  body: string,
  lastMayBeCut: boolean,
  repairs: string[],
  version: number,
): AamvaSubfile {
  // D.12.5: elements are separated by LF and the subfile ends with CR. Damaged payloads use
  // CR LF, CR, RS or FS between elements.
  const inner = body.replace(/^[\n\r\x1e\x1c]/, '').replace(/[\r\n\x1e\x1c\s]+$/, '')
  if (inner.includes('\r\n')) repairs.push('crlf_segments')
  else if (inner.includes(CR)) repairs.push('cr_separators')
  if (/[\x1e\x1c]/.test(inner)) repairs.push('element_separators')
  if (/\r\n[ \t]*$/.test(body)) repairs.push('crlf_segments')

  const standard = !type.startsWith('Z')
  // Copies of payloads in source files keep the lines' indentation.
  const pieces = inner
    .split(/\r\n|[\n\r\x1e\x1c]/)
    .map((t) => t.replace(/^[ \t]+/, ''))
    .filter((t) => t !== '')
  // Elements with no separator between them (a keyboard-wedge or fixed-width capture) are cut
  // apart by their identifiers where that is safe; elsewhere each piece is one element.
  const together = standard && runsTogether(pieces, version)
  const tokens: [string, string][] = []
  let unsplit = false
  for (const piece of pieces) {
    const split = together ? splitRunTogether(piece) : null
    if (split !== null) {
      repairs.push('elements_run_together')
      tokens.push(...split)
      continue
    }
    if (together) unsplit = true
    const m = ELEMENT.exec(piece)
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
  return { type, elements, conflicts: [...conflicts], ...(unsplit && { runTogether: true }) }
}

function isCompleteFixedForm(id: string, value: string): boolean {
  if (DATE_ELEMENTS.has(id)) return parseAamvaDate(value) !== null
  return FIXED_FORMS[id]?.test(value) ?? false
}
