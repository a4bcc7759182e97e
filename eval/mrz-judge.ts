// Judging an MRZ reading against the printed lines when the two readers left fields unresolved:
// the characters they settled must equal the printed ones (`?` stands for one they did not), and
// each unresolved field's readings must include the printed one.

import { parseMrz } from '../src/engine/mrz/parse.ts'
import type { MrzBlock } from '../src/engine/types.ts'

/** Whether a reading's lines (and unresolved fields, if any) agree with the printed lines. */
export function linesAgree(
  mrz: Pick<MrzBlock, 'lines' | 'unresolved'> | undefined,
  truth: string[],
  asOf: string,
): boolean {
  if (!mrz) return false
  const unresolved = mrz.unresolved ?? []
  if (unresolved.length === 0) return JSON.stringify(mrz.lines) === JSON.stringify(truth)
  const printed = parseMrz({ lines: truth }, { asOf })
  if (!printed.ok) return false
  const settledRight =
    mrz.lines.length === truth.length &&
    mrz.lines.every(
      (line, l) =>
        line.length === truth[l]!.length &&
        [...line].every((c, p) => c === '?' || c === truth[l]![p]),
    )
  return settledRight && unresolved.every((u) => u.candidates.includes(printed.mrz[u.field] ?? ''))
}

/** Whether a name is among the fields a reading left unresolved. */
export function nameUnresolved(mrz: Pick<MrzBlock, 'unresolved'> | undefined): boolean {
  return (mrz?.unresolved ?? []).some((u) => u.field !== 'optionalData')
}
