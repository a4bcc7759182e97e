// A DL/ID subfile whose data elements run together: a keyboard-wedge scanner that drops the
// control characters, or a capture padded to fixed widths, leaves no separator between
// elements, only their three-letter identifiers. From version 02 on the mandatory elements
// (D.12.5.1) are found again by their identifiers, each used once, with every fixed-form value
// in its form; optional elements of free form are not cut out (their text joins the element
// before). The split is taken only when it is the one best split and leaves the names clean:
// a name that still holds an identifier (MADDEN holds DDE), or a cut that could have fallen
// elsewhere with the names changed, leaves the subfile unread.
import { parseAamvaDate } from './dates.ts'
import { DATE_ELEMENTS, FIXED_FORMS } from './forms.ts'

/** Mandatory elements of versions 02 on (DCT: given names in versions 02 and 03). */
const MANDATORY =
  'DCA DCB DCD DBA DCS DAC DAD DBD DBB DBC DAY DAU DAG DAI DAJ DAK DAQ DCF DCG DDE DDF DDG DCT'
/** Optional elements whose value has a fixed form (D.12.5.2): a cut there must fit it. */
const FIXED_OPTIONAL = 'DAW DAX DDA DDB DDC DDD DDH DDI DDJ DDK DDL DCE'
/** Every identifier of versions 02 on: none may stay inside a name. */
const ALL_LATER = `${MANDATORY} ${FIXED_OPTIONAL} DCU DAH DAZ DCI DCJ DCK DBN DBG DBS DCL DCH DCM DCN DCO DCP DCQ DCR`

const CUT = new Set(`${MANDATORY} ${FIXED_OPTIONAL}`.split(' '))
const ANY = new Set(ALL_LATER.split(' '))
const NAMES = new Set(['DCS', 'DAC', 'DAD', 'DCT'])
const KEY = new Set([...NAMES, 'DAQ', 'DBA', 'DBB', 'DAJ'])

/**
 * Forms a cut value must fit. Height (DAU) is left out: captures write it without its unit
 * ("600"), and a cut it refused would join it to the eye colour before it.
 */
const FORMS = Object.fromEntries(Object.entries(FIXED_FORMS).filter(([id]) => id !== 'DAU'))

/** Whether a subfile body (after its separators were split) holds elements run together. */
export function runsTogether(tokens: string[], version: number): boolean {
  if (version < 2) return false
  let inner = 0
  for (const t of tokens) {
    for (let i = 1; i + 3 <= t.length; i++) if (CUT.has(t.slice(i, i + 3))) inner++
  }
  return inner >= 6 && inner >= 2 * tokens.length
}

interface Split {
  score: number
  cuts: number[]
}

/**
 * The elements of `text` (starting with an identifier), or null when they cannot be told apart
 * safely. Values lose their padding (trailing spaces).
 */
export function splitRunTogether(text: string): [string, string][] | null {
  const at: number[] = []
  for (let i = 0; i + 3 <= text.length; i++) if (CUT.has(text.slice(i, i + 3))) at.push(i)
  if (at[0] !== 0) return null
  const count = new Map<string, number>()
  for (const i of at) count.set(text.slice(i, i + 3), (count.get(text.slice(i, i + 3)) ?? 0) + 1)
  const repeated = new Set([...count].filter(([, n]) => n > 1).map(([id]) => id))

  // Searched twice, preferring on a tie first the earlier, then the later next cut: when both
  // find the same names and key fields, the best split is the only best one.
  const a = search(text, at, repeated, false)
  const b = search(text, at, repeated, true)
  if (a === null || b === null) return null
  const elements = elementsAt(text, a.cuts)
  const other = new Map(elementsAt(text, b.cuts))
  for (const id of KEY) {
    const mine = elements.find(([k]) => k === id)?.[1]
    if (mine !== other.get(id)) return null
  }
  for (const [id, value] of elements) {
    if (!NAMES.has(id)) continue
    for (let i = 0; i + 3 <= value.length; i++) if (ANY.has(value.slice(i, i + 3))) return null
  }
  return elements
}

function elementsAt(text: string, cuts: number[]): [string, string][] {
  return cuts.map((c, k) => [
    text.slice(c, c + 3),
    text.slice(c + 3, cuts[k + 1] ?? text.length).replace(/\s+$/, ''),
  ])
}

/**
 * What one element adds to a split: an element more, less when empty or when a date's eight
 * digits are no plausible date (the reading refuses that date and says so); −∞ out of its form.
 */
function worth(id: string, value: string): number {
  if (value === '') return 7
  if (DATE_ELEMENTS.has(id) && parseAamvaDate(value) === null)
    return /^\d{8}$/.test(value) ? 8 : -Infinity
  const form = FORMS[id]
  if (form !== undefined && !form.test(value)) return -Infinity
  return 10
}

/** Most next cuts one search may weigh: a payload built to explode the search is refused. */
const SEARCH_BUDGET = 200_000

function search(text: string, at: number[], repeated: Set<string>, later: boolean): Split | null {
  const memo = new Map<string, Split | null>()
  let budget = SEARCH_BUDGET
  const from = (k: number, used: string[]): Split | null => {
    const key = `${k}|${used.join(',')}`
    const known = memo.get(key)
    if (known !== undefined || memo.has(key)) return known ?? null
    const id = text.slice(at[k], at[k]! + 3)
    const usedNow = repeated.has(id) ? [...used, id].sort() : used
    let best: Split | null = null
    const consider = (score: number, cuts: number[]): void => {
      if (score === -Infinity) return
      if (best === null || score > best.score || (later && score === best.score)) {
        best = { score, cuts }
      }
    }
    consider(worth(id, text.slice(at[k]! + 3).replace(/\s+$/, '')), [at[k]!])
    for (let j = k + 1; j < at.length; j++) {
      if (--budget < 0) throw new SearchTooLarge()
      if (at[j]! < at[k]! + 3) continue
      const next = text.slice(at[j], at[j]! + 3)
      if (next === id || usedNow.includes(next)) continue
      const tail = from(j, usedNow)
      if (tail === null) continue
      const value = text.slice(at[k]! + 3, at[j]).replace(/\s+$/, '')
      consider(worth(id, value) + tail.score, [at[k]!, ...tail.cuts])
    }
    memo.set(key, best)
    return best
  }
  try {
    return from(0, [])
  } catch (e) {
    if (e instanceof SearchTooLarge) return null
    throw e
  }
}

class SearchTooLarge extends Error {}
