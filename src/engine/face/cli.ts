// `loom face-compare A B` and `loom estimate-age IMAGE`: the face engine without a server, one
// JSON object per run (DESIGN.md, "Contracts other tools rely on"). Exit status 0 once the
// images were read, whatever the decision; 1 only for usage errors and unreadable files.

import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { AGE_BUFFER, compareFaces, estimateAge, MATCH_THRESHOLD, REVIEW_BAND } from './compare.ts'

const COMPARE_HELP = `Usage: loom face-compare DOCUMENT SELFIE [SELFIE_FRAME…] [--threshold T] [--review-band B]

Compares the portrait on a document image with a selfie (JPEG/PNG/WebP, or a PDF's first page).
Further selfie files are frames of the same capture (a burst).

Prints one JSON object:
  {"ok":true,"decision":"match|no_match|review|retake","similarity":…,"match":…,"threshold":…,
   "reviewBand":[…],"faces":{"document":{…},"selfie":{…}},"faceCounts":{…},"feedback":{…},
   "presentation":{"verdict":"pass|suspect","failed":[…],"checks":{…}},"frames":1,"timingsMs":{…}}

Options:
  --threshold T     similarity at and above which the faces match (default ${MATCH_THRESHOLD})
  --review-band B   half-width of the band around T decided as "review" (default ${REVIEW_BAND})
  --help            show this help`

const AGE_HELP = `Usage: loom estimate-age SELFIE [SELFIE_FRAME…] [--min-age 18] [--buffer 12]

Estimates age from a selfie. Approves only when the estimate reaches min-age + buffer
(18 + ${AGE_BUFFER} by default), the estimate is stable across crops and frames (else
"review"), and no presentation-attack signal failed; otherwise the person
needs to show a document.

Prints one JSON object:
  {"ok":true,"decision":"approve|needs_document|review|retake","age":…,"requiredAge":25,"reasons":[…],
   "feedback":…,"face":{…},"presentation":{…},"timingsMs":{…}}

Options:
  --min-age N   the age the person must be (default 18)
  --buffer N    years the estimate must clear min-age by (default ${AGE_BUFFER})
  --help        show this help`

type Out = (line: string) => void

const usage = (out: Out, message: string): number => {
  out(JSON.stringify({ ok: false, error: { code: 'USAGE', message: `${message}. See --help.` } }))
  return 1
}

/** Parse argv; returns the parse or a usage message. */
function parse(
  argv: string[],
  options: Record<string, { type: 'string' }>,
): { values: Record<string, string | boolean | undefined>; files: string[] } | string {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
    return { values, files: positionals }
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

function number(
  value: string | boolean | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined | string {
  if (value === undefined) return undefined
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (!Number.isFinite(n) || n < min || n > max)
    return `--${name} needs a number from ${min} to ${max}`
  return n
}

/** Read every file; on the first unreadable one, print the failure and return null. */
async function readAll(files: string[], out: Out): Promise<Uint8Array[] | null> {
  const bytes: Uint8Array[] = []
  for (const file of files) {
    try {
      const b = await readFile(file)
      bytes.push(new Uint8Array(b.buffer, b.byteOffset, b.length))
    } catch (err) {
      const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable'
      out(
        JSON.stringify({
          file,
          ok: false,
          error: { code: 'FILE_UNREADABLE', message: `Cannot read ${file} (${reason}).` },
        }),
      )
      return null
    }
  }
  return bytes
}

/** Run `loom face-compare` with the arguments after the command; prints one JSON object; returns the exit status. */
export async function runFaceCompare(argv: string[], out: Out): Promise<number> {
  const args = parse(argv, { threshold: { type: 'string' }, 'review-band': { type: 'string' } })
  if (typeof args === 'string') return usage(out, args)
  if (args.values.help) {
    out(COMPARE_HELP)
    return 0
  }
  if (args.files.length < 2) return usage(out, 'give a document image and a selfie')
  const threshold = number(args.values.threshold, 'threshold', -1, 1)
  const reviewBand = number(args.values['review-band'], 'review-band', 0, 1)
  if (typeof threshold === 'string') return usage(out, threshold)
  if (typeof reviewBand === 'string') return usage(out, reviewBand)
  const bytes = await readAll(args.files, out)
  if (bytes === null) return 1
  const [documentImage, ...frames] = bytes as [Uint8Array, ...Uint8Array[]]
  const result = await compareFaces(documentImage, frames.length === 1 ? frames[0]! : { frames }, {
    ...(threshold === undefined ? {} : { threshold }),
    ...(reviewBand === undefined ? {} : { reviewBand }),
  })
  out(JSON.stringify({ files: args.files, ok: true, ...result }))
  return 0
}

/** Run `loom estimate-age` with the arguments after the command; prints one JSON object; returns the exit status. */
export async function runEstimateAge(argv: string[], out: Out): Promise<number> {
  const args = parse(argv, { 'min-age': { type: 'string' }, buffer: { type: 'string' } })
  if (typeof args === 'string') return usage(out, args)
  if (args.values.help) {
    out(AGE_HELP)
    return 0
  }
  if (args.files.length < 1) return usage(out, 'give a selfie image')
  const minAge = number(args.values['min-age'], 'min-age', 1, 120)
  const buffer = number(args.values.buffer, 'buffer', 0, 50)
  if (typeof minAge === 'string') return usage(out, minAge)
  if (typeof buffer === 'string') return usage(out, buffer)
  const bytes = await readAll(args.files, out)
  if (bytes === null) return 1
  const result = await estimateAge(bytes.length === 1 ? bytes[0]! : { frames: bytes }, {
    ...(minAge === undefined ? {} : { minAge }),
    ...(buffer === undefined ? {} : { buffer }),
  })
  out(JSON.stringify({ files: args.files, ok: true, ...result }))
  return 0
}
