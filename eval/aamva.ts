// `npm run eval aamva`: the AAMVA reader on specimen licences with exactly known ground truth.
// Three tables: PDF417 decode rate per degradation (and whether every decoded date is right),
// payload parse correctness per AAMVA version (clean and damaged), and time per image.
// Options: --aamva-count N (images per degradation row, default 30; clean and camera-like get
// five times as many), --aamva-only=TEXT (only degradation rows whose name holds TEXT),
// --verbose (print each failure).
import { availableParallelism, loadavg } from 'node:os'
import { readAamvaFromBytes } from '../src/engine/aamva/index.ts'
import { inspectAamvaText } from '../src/engine/aamva/inspect-text.ts'
import type { InspectResult } from '../src/engine/types.ts'
import {
  ALL_DAMAGES,
  damagePayload,
  generateLicence,
  type LicenceTruth,
} from '../src/specimen/licence.ts'
import { generateLicenceImage, type LicenceCamera } from '../src/specimen/licence-image.ts'
import { createRng } from '../src/specimen/identity.ts'

const AS_OF = '2026-06-01'

interface Scenario {
  name: string
  /** Multiplier of the per-row count. */
  weight: number
  camera: (seed: number) => LicenceCamera | undefined
}

const signed = (seed: number, magnitude: number): number =>
  (createRng(seed).chance(0.5) ? -1 : 1) * magnitude

const SCENARIOS: Scenario[] = [
  { name: 'clean render (PNG)', weight: 5, camera: () => undefined },
  {
    name: 'rotation 10°',
    weight: 1,
    camera: (s) => ({ background: 0.2, rotation: signed(s, 10) }),
  },
  {
    name: 'rotation any angle',
    weight: 1,
    camera: (s) => ({ background: 0.2, rotation: createRng(s).next() * 360 }),
  },
  {
    name: 'perspective 0.04–0.12',
    weight: 1,
    camera: (s) => ({ background: 0.2, perspective: 0.04 + createRng(s).next() * 0.08 }),
  },
  {
    name: 'blur σ 0.8–1.6 px',
    weight: 1,
    camera: (s) => ({ blur: 0.8 + createRng(s).next() * 0.8 }),
  },
  { name: 'JPEG 70', weight: 1, camera: () => ({ jpegQuality: 70 }) },
  { name: 'scale 55 %', weight: 1, camera: () => ({ scale: 0.55 }) },
  {
    name: 'camera-like (all five)',
    weight: 5,
    camera: (s) => {
      const rng = createRng(s)
      return {
        background: 0.15 + rng.next() * 0.15,
        perspective: 0.04 + rng.next() * 0.06,
        rotation: signed(s, 10),
        blur: 0.8 + rng.next() * 0.6,
        scale: 0.55,
        jpegQuality: 70,
      }
    },
  },
  { name: 'glare', weight: 1, camera: () => ({ background: 0.2, glare: true, jpegQuality: 85 }) },
  {
    name: 'low light',
    weight: 1,
    camera: (s) => ({ lowLight: 0.3 + createRng(s).next() * 0.2, jpegQuality: 85 }),
  },
  {
    name: 'noise σ 4–12',
    weight: 1,
    camera: (s) => ({ noise: 4 + createRng(s).next() * 8, jpegQuality: 85 }),
  },
  {
    name: 'upside down + 5°',
    weight: 1,
    camera: (s) => ({ background: 0.2, rotation: 180 + signed(s, 5) }),
  },
  {
    name: 'low resolution (card 40 %)',
    weight: 1,
    camera: () => ({ background: 0.3, scale: 0.4, jpegQuality: 85 }),
  },
]

interface Row {
  name: string
  n: number
  decoded: number
  datesRight: number
  wrongDates: number
  times: number[]
  cpu: number[]
  failures: string[]
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

function datesMatch(r: InspectResult, truth: LicenceTruth): boolean {
  return (
    r.ok && r.person.dateOfBirth === truth.dateOfBirth && r.document.expiryDate === truth.expiryDate
  )
}

function fieldsMatch(r: InspectResult, truth: LicenceTruth): boolean {
  return (
    datesMatch(r, truth) &&
    r.ok &&
    r.document.issueDate === truth.issueDate &&
    r.person.lastName === truth.lastName &&
    r.person.firstName === truth.firstName &&
    r.person.sex === truth.sex &&
    r.document.number === truth.number &&
    r.documentType === truth.documentType &&
    r.aamva?.version === truth.version &&
    r.aamva.iin === truth.iin &&
    r.aamva.jurisdiction === truth.jurisdiction &&
    r.ageYears !== null
  )
}

const pct = (a: number, b: number): string => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)} %`)

/** Runs the AAMVA evaluation and prints its tables. */
export async function runAamvaEval(args: string[]): Promise<void> {
  const i = args.indexOf('--aamva-count')
  const count = i >= 0 ? Number(args[i + 1]) : 30
  const verbose = args.includes('--verbose')
  // `--aamva-only=TEXT` (with "=": eval/run.ts takes a bare word for an evaluation's name).
  const only =
    args.find((a) => a.startsWith('--aamva-only='))?.slice('--aamva-only='.length) ?? null
  const started = performance.now()

  // Warm the wasm module so the first image's time is not its compilation.
  const warm = await generateLicenceImage(1)
  await readAamvaFromBytes(warm.image, { asOf: AS_OF })

  const rows: Row[] = []
  const allTimes: number[] = []
  const allCpu: number[] = []
  const strategies = new Map<string, number>()
  const perVersionDecoded = new Map<number, { n: number; datesRight: number }>()
  let seed = 1000
  for (const scenario of SCENARIOS) {
    if (only !== null && !scenario.name.includes(only)) continue
    const row: Row = {
      name: scenario.name,
      n: 0,
      decoded: 0,
      datesRight: 0,
      wrongDates: 0,
      times: [],
      cpu: [],
      failures: [],
    }
    for (let k = 0; k < count * scenario.weight; k++) {
      seed += 1
      const cameraSettings = scenario.camera(seed)
      const specimen = await generateLicenceImage(seed, {
        asOf: AS_OF,
        version: seed % 11,
        ...(cameraSettings === undefined ? {} : { camera: cameraSettings }),
      })
      let strategy = 'none'
      const trace = (name: string, _ms: number, decoded: boolean): void => {
        if (decoded) strategy = name
      }
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      const r = await readAamvaFromBytes(specimen.image, { asOf: AS_OF, trace })
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const cpuMs = (cpu.user + cpu.system) / 1000
      row.n += 1
      row.times.push(ms)
      row.cpu.push(cpuMs)
      allTimes.push(ms)
      allCpu.push(cpuMs)
      strategies.set(strategy, (strategies.get(strategy) ?? 0) + 1)
      if (r.ok) {
        row.decoded += 1
        const right = datesMatch(r, specimen.truth)
        if (right) row.datesRight += 1
        else row.wrongDates += 1
        const v = perVersionDecoded.get(specimen.truth.version) ?? { n: 0, datesRight: 0 }
        v.n += 1
        if (right) v.datesRight += 1
        perVersionDecoded.set(specimen.truth.version, v)
      } else if (verbose) {
        row.failures.push(`seed ${seed}: ${r.error.code} ${JSON.stringify(cameraSettings)}`)
      }
    }
    rows.push(row)
  }

  // Images without any barcode: how fast a hopeless image fails.
  const hopeless: number[] = []
  const hopelessCpu: number[] = []
  let hopelessWrong = 0
  for (let k = 0; k < Math.max(10, Math.round(count / 3)); k++) {
    const specimen = await generateLicenceImage(5000 + k, {
      camera: { background: 0.3, scale: 0.8, jpegQuality: 80 },
    })
    // Same photo, barcode painted out: the card's back with print only.
    const blank = await blankBarcode(specimen.image)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const r = await readAamvaFromBytes(blank, { asOf: AS_OF })
    hopeless.push(performance.now() - t0)
    const cpu = process.cpuUsage(cpu0)
    hopelessCpu.push((cpu.user + cpu.system) / 1000)
    if (r.ok) hopelessWrong += 1
  }

  console.log('\n## AAMVA PDF417 — decode rate per degradation\n')
  console.log(
    '| degradation | images | decoded | rate | DOB+expiry right | wrong dates | median ms | p95 ms | median CPU ms |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.n} | ${r.decoded} | ${pct(r.decoded, r.n)} | ${pct(r.datesRight, r.decoded)} | ${r.wrongDates} | ${percentile(r.times, 50).toFixed(0)} | ${percentile(r.times, 95).toFixed(0)} | ${percentile(r.cpu, 50).toFixed(0)} |`,
    )
  }
  console.log(
    `| no barcode (fails as it should) | ${hopeless.length} | ${hopelessWrong} | — | — | — | ${percentile(hopeless, 50).toFixed(0)} | ${percentile(hopeless, 95).toFixed(0)} | ${percentile(hopelessCpu, 50).toFixed(0)} |`,
  )
  if (verbose) for (const r of rows) for (const f of r.failures) console.log(`  ${r.name}: ${f}`)

  console.log('\n## AAMVA payloads — parse correctness per version\n')
  console.log(
    '| version | payloads (clean + 8 damages) | all fields right | DOB+expiry right | wrong dates | damage repairs flagged | decoded from images, DOB+expiry right |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|')
  for (let version = 0; version <= 10; version++) {
    let n = 0
    let fields = 0
    let dates = 0
    let wrong = 0
    let damaged = 0
    let flagged = 0
    for (let k = 0; k < 40; k++) {
      const { payload, truth } = generateLicence(version * 10_000 + k, { version, asOf: AS_OF })
      for (const damage of [null, ...ALL_DAMAGES]) {
        const text = damage === null ? payload : damagePayload(payload, damage)
        const r = inspectAamvaText(text, { asOf: AS_OF })
        n += 1
        if (fieldsMatch(r, truth)) fields += 1
        if (datesMatch(r, truth)) dates += 1
        else if (r.ok) wrong += 1
        if (damage !== null) {
          damaged += 1
          if (r.ok && (r.aamva?.repairs?.length ?? 0) > 0) flagged += 1
        }
      }
    }
    const fromImages = perVersionDecoded.get(version) ?? { n: 0, datesRight: 0 }
    console.log(
      `| ${version} | ${n} | ${pct(fields, n)} | ${pct(dates, n)} | ${wrong} | ${pct(flagged, damaged)} | ${fromImages.datesRight}/${fromImages.n} |`,
    )
  }

  console.log('\n## AAMVA — time per image (intake decode + locate + PDF417 + parse)\n')
  console.log('| images | median ms | p95 ms | max ms | median CPU ms | p95 CPU ms |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  console.log(
    `| ${allTimes.length} | ${percentile(allTimes, 50).toFixed(0)} | ${percentile(allTimes, 95).toFixed(0)} | ${Math.max(...allTimes).toFixed(0)} | ${percentile(allCpu, 50).toFixed(0)} | ${percentile(allCpu, 95).toFixed(0)} |`,
  )
  const load = loadavg()[0] ?? 0
  console.log(
    `\nWall times are on this machine as it was (load average ${load.toFixed(1)} on ${availableParallelism()} cores); CPU ms is the process's CPU time per image (all threads).`,
  )
  console.log(
    `Strategy that decoded: ${[...strategies]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  console.log(`\n(aamva eval took ${((performance.now() - started) / 1000).toFixed(0)} s)`)
}

/** Paints the lower part of a photographed card back (where the symbol is) a flat grey. */
async function blankBarcode(image: Buffer): Promise<Buffer> {
  const { default: sharp } = await import('sharp')
  const meta = await sharp(image).metadata()
  const width = meta.width ?? 100
  const height = meta.height ?? 100
  const patch = await sharp({
    create: { width, height: Math.round(height * 0.6), channels: 3, background: '#d0d0d0' },
  })
    .png()
    .toBuffer()
  return sharp(image)
    .composite([{ input: patch, left: 0, top: Math.round(height * 0.4) }])
    .jpeg({ quality: 80 })
    .toBuffer()
}
