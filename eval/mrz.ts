// MRZ reader evaluation: a fixed-seed corpus of specimen documents (every MRZ format, clean and
// camera-degraded), read through `inspectImage`, scored against the exact ground truth.
//   read       every field right (the corrected MRZ lines equal the printed ones); a birth year
//              that fits two centuries counts as right when the true date is one of the two
//              given (and the count of those is printed: a decision sends them to review)
//   unresolved every field given right, but a name left unresolved between the two readers'
//              valid readings, the true one among them (a decision needing the name reviews it);
//              unresolved optional data alone, the rest right, counts as read (and is counted)
//   wrong      a reading that passed its check digits but has a wrong field — the worst outcome
//   unreadable no reading (MRZ_NOT_FOUND, MRZ_UNREADABLE, DOCUMENT_QUALITY_LOW, …)
// Times are per document, decoding included, on this machine.

import { birthDateOnImage, inspectImage } from '../src/engine/inspect.ts'
import { linesAgree, nameUnresolved } from './mrz-judge.ts'
import type { MrzFormat } from '../src/engine/types.ts'
import {
  DEGRADATIONS,
  generateMrzSpecimen,
  MRZ_FORMATS,
  type Degradation,
  type MrzSpecimen,
} from '../src/specimen/index.ts'
import { createRng } from '../src/specimen/identity.ts'

const AS_OF = '2026-06-01'
const SEED = 20261121

interface Case {
  seed: number
  format: MrzFormat
  category: string
  degradations: Degradation[]
}

/** The corpus: per format, clean renders, each single degradation, and full "camera" mixes. */
function corpus(perCell: number, seed: number): Case[] {
  const rng = createRng(seed)
  const cases: Case[] = []
  for (const format of MRZ_FORMATS) {
    const add = (category: string, degradations: Degradation[], count: number): void => {
      for (let i = 0; i < count; i++) {
        cases.push({ seed: rng.int(1, 2 ** 31 - 1), format, category, degradations })
      }
    }
    add('clean', [], perCell * 2)
    for (const d of DEGRADATIONS) add(d, d === 'jpeg' ? ['jpeg'] : [d, 'jpeg'], perCell)
    for (let i = 0; i < perCell * 3; i++) {
      // A phone photo: on a desk, tilted (sometimes also upside down), JPEG, plus up to three
      // other troubles.
      const extra = DEGRADATIONS.filter(
        (d) => !['background', 'rotation', 'jpeg', 'low_resolution'].includes(d),
      )
      const picked = extra.filter(() => rng.chance(0.4)).slice(0, 3)
      add('camera', ['background', 'rotation', 'jpeg', ...picked], 1)
    }
  }
  return cases
}

interface Outcome {
  c: Case
  result: 'read' | 'unresolved' | 'wrong' | 'unreadable'
  /** The reading gave two candidate birth dates instead of one. */
  centuryUndecided: boolean
  /**
   * For an ID card's back read with its century undecided: what the card's front (same identity,
   * same degradations) settled it to — 'right', 'wrong', or 'open' when it did not.
   */
  front?: 'right' | 'wrong' | 'open'
  /** Fields the readers left unresolved (the true reading among the candidates when read). */
  unresolvedFields: string[]
  ms: number
  detail: string
}

function judge(spec: MrzSpecimen, r: Awaited<ReturnType<typeof inspectImage>>): Outcome['result'] {
  if (!r.ok) return 'unreadable'
  const id = spec.identity
  const linesRight = linesAgree(r.mrz, spec.lines, AS_OF)
  const birthRight =
    r.person.dateOfBirth === id.dateOfBirth ||
    (r.person.dateOfBirth === null &&
      (r.person.dateOfBirthCandidates ?? []).includes(id.dateOfBirth))
  const fieldsRight =
    birthRight &&
    (spec.format === 'FRA_ID' || r.document.expiryDate === id.expiryDate) &&
    (spec.format === 'FRA_ID' || r.document.number === id.documentNumber) &&
    r.person.sex === (spec.format === 'FRA_ID' ? (id.sex === 'F' ? 'F' : 'M') : id.sex)
  if (!linesRight || !fieldsRight) return 'wrong'
  return nameUnresolved(r.mrz) ? 'unresolved' : 'read'
}

const pct = (k: number, n: number): string => (n ? `${((100 * k) / n).toFixed(1)} %` : '-')

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

function table(title: string, key: (o: Outcome) => string, outcomes: Outcome[]): void {
  const groups = new Map<string, Outcome[]>()
  for (const o of outcomes) groups.set(key(o), [...(groups.get(key(o)) ?? []), o])
  const rows = [...groups.entries()].map(([k, os]) => [
    k,
    String(os.length),
    pct(os.filter((o) => o.result === 'read').length, os.length),
    pct(os.filter((o) => o.result === 'unresolved').length, os.length),
    pct(os.filter((o) => o.result === 'wrong').length, os.length),
    pct(os.filter((o) => o.result === 'unreadable').length, os.length),
    `${quantile(
      os.map((o) => o.ms),
      0.5,
    )} ms`,
    `${quantile(
      os.map((o) => o.ms),
      0.95,
    )} ms`,
  ])
  const all = [
    'all',
    String(outcomes.length),
    pct(outcomes.filter((o) => o.result === 'read').length, outcomes.length),
    pct(outcomes.filter((o) => o.result === 'unresolved').length, outcomes.length),
    pct(outcomes.filter((o) => o.result === 'wrong').length, outcomes.length),
    pct(outcomes.filter((o) => o.result === 'unreadable').length, outcomes.length),
    `${quantile(
      outcomes.map((o) => o.ms),
      0.5,
    )} ms`,
    `${quantile(
      outcomes.map((o) => o.ms),
      0.95,
    )} ms`,
  ]
  const head = [title, 'n', 'read', 'unresolved', 'wrong', 'unreadable', 'median', 'p95']
  const body = [head, ...rows, all]
  const widths = head.map((_, i) => Math.max(...body.map((r) => r[i]!.length)))
  const fmt = (r: string[]): string =>
    '| ' +
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') +
    ' |'
  console.log(fmt(head))
  console.log(
    '|' +
      widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') +
      '|',
  )
  for (const r of rows) console.log(fmt(r))
  console.log(fmt(all))
  console.log()
}

/**
 * Run the MRZ evaluation; `--per-cell N` scales the corpus (default 4 → 360 documents), `--seed N`
 * draws another corpus of the same make-up (a held-out check on tuning), `--verbose` lists
 * failures.
 */
export async function runMrzEval(args: string[]): Promise<void> {
  const i = args.indexOf('--per-cell')
  const perCell = i >= 0 ? Number(args[i + 1]) : 4
  const j = args.indexOf('--seed')
  const seed = j >= 0 ? Number(args[j + 1]) : SEED
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed takes an integer, got ${args[j + 1]}`)
  const verbose = args.includes('--verbose')
  const cases = corpus(perCell, seed)
  console.log(`MRZ evaluation: ${cases.length} documents, seed ${seed}, as of ${AS_OF}\n`)
  // Warm up: load the OCR-B templates once, outside the timings.
  const warm = await generateMrzSpecimen(1, { format: 'TD3', asOf: AS_OF })
  await inspectImage(warm.image, { asOf: AS_OF })

  const outcomes: Outcome[] = []
  const t0 = performance.now()
  for (const c of cases) {
    const spec = await generateMrzSpecimen(c.seed, {
      format: c.format,
      asOf: AS_OF,
      degradations: c.degradations,
    })
    const t = performance.now()
    const r = await inspectImage(spec.image, { asOf: AS_OF })
    const ms = Math.round(performance.now() - t)
    const result = judge(spec, r)
    const detail = r.ok ? (r.mrz?.lines.join(' / ') ?? '') : `${r.error.code}: ${r.error.message}`
    const centuryUndecided = r.ok && r.person.dateOfBirthCandidates !== undefined
    const unresolvedFields = r.ok ? (r.mrz?.unresolved ?? []).map((u) => u.field) : []
    let front: Outcome['front']
    const candidates = r.ok ? r.person.dateOfBirthCandidates : undefined
    if (c.format === 'TD1' && candidates?.length === 2) {
      // A verification takes the card's front too; it prints the date of birth in full.
      const side = await generateMrzSpecimen(c.seed, {
        format: c.format,
        side: 'front',
        asOf: AS_OF,
        degradations: c.degradations,
      })
      const date = await birthDateOnImage(side.image, candidates as [string, string])
      front = date === null ? 'open' : date === spec.identity.dateOfBirth ? 'right' : 'wrong'
    }
    outcomes.push({ c, result, centuryUndecided, unresolvedFields, ms, detail, front })
    if (verbose && (result !== 'read' || unresolvedFields.length > 0 || centuryUndecided)) {
      console.log(
        `${result.padEnd(10)} ${c.format} ${c.degradations.join('+')} seed=${c.seed} ${JSON.stringify(spec.parameters)}${centuryUndecided ? ' (birth century undecided)' : ''}${unresolvedFields.length > 0 ? ` (unresolved: ${unresolvedFields.join(', ')})` : ''}\n  truth ${spec.lines.join(' / ')}\n  got   ${detail}`,
      )
    }
  }
  table('format', (o) => o.c.format, outcomes)
  table('degradation', (o) => o.c.category, outcomes)
  const total = outcomes.length
  const wrong = outcomes.filter((o) => o.result === 'wrong').length
  const undecided = outcomes.filter((o) => o.result === 'read' && o.centuryUndecided).length
  const optionalOpen = outcomes.filter(
    (o) => o.result === 'read' && o.unresolvedFields.length > 0,
  ).length
  const fronts = outcomes.filter((o) => o.result === 'read' && o.front !== undefined)
  const byFront = (k: Outcome['front']): number => fronts.filter((o) => o.front === k).length
  console.log(
    `wrong reads: ${wrong} of ${total} (${pct(wrong, total)}); read with the birth century undecided (two dates given, the true one among them): ${undecided}; read with optional data unresolved (the true reading among the candidates): ${optionalOpen}; run time ${Math.round((performance.now() - t0) / 1000)} s`,
  )
  console.log(
    `ID card backs with the century undecided, settled by the card's front (same identity and degradations): ${byFront('right')} of ${fronts.length} right, ${byFront('wrong')} wrong, ${byFront('open')} left open`,
  )
}
