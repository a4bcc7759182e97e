// `loom inspect`: read documents without a server, one JSON object per input line (DESIGN.md,
// "Contracts other tools rely on"). Exit status 0 once every file was read, whatever the result;
// 1 only for usage errors (bad options, unreadable files).

import { readFile } from 'node:fs/promises'
import { inspectAamvaText } from './aamva/index.ts'
import { inspectImage, inspectMrzText } from './inspect.ts'
import type { InspectResult } from './types.ts'

const HELP = `Usage:
  loom inspect FILE… [--as-of YYYY-MM-DD] [--debug DIR]   image (JPEG/PNG/WebP, or a BMP/TIFF scan) or PDF of one document side
  loom inspect --mrz-text FILE… [--as-of YYYY-MM-DD]       a text file holding MRZ lines
  loom inspect --aamva-text FILE… [--as-of YYYY-MM-DD]     a file holding a raw AAMVA barcode payload

Prints one JSON object per file:
  {"file":…,"ok":true,"source":"mrz","documentType":…,"mrz":{…},"person":{…},"document":{…},"ageYears":…,"expired":…,"timingsMs":{…}}
  {"file":…,"ok":false,"error":{"code":…,"message":…}}

Options:
  --as-of YYYY-MM-DD   judge age and expiry on this day (default: today, UTC)
  --debug DIR          write the located MRZ and intermediate images (PNG) under DIR
  --help               show this help
`

type Mode = 'image' | 'mrz-text' | 'aamva-text'

interface Args {
  mode: Mode
  files: string[]
  asOf?: string
  debugDir?: string
}

function isIsoDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

function parseArgs(argv: string[]): Args | { help: true } | { error: string } {
  const args: Args = { mode: 'image', files: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string | null => {
      const v = argv[i + 1]
      if (v === undefined || v.startsWith('--')) return null
      i++
      return v
    }
    switch (a) {
      case '--help':
      case '-h':
        return { help: true }
      case '--mrz-text':
        args.mode = 'mrz-text'
        break
      case '--aamva-text':
        args.mode = 'aamva-text'
        break
      case '--as-of': {
        const v = value()
        if (!v || !isIsoDay(v)) return { error: '--as-of needs a date as YYYY-MM-DD' }
        args.asOf = v
        break
      }
      case '--debug': {
        const v = value()
        if (!v) return { error: '--debug needs a directory' }
        args.debugDir = v
        break
      }
      default:
        if (a.startsWith('--')) return { error: `unknown option ${a}` }
        args.files.push(a)
    }
  }
  if (args.files.length === 0) return { error: 'no file given' }
  return args
}

async function inspectOne(args: Args, bytes: Buffer, index: number): Promise<InspectResult> {
  switch (args.mode) {
    case 'image':
      return inspectImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), {
        asOf: args.asOf,
        debugDir:
          args.debugDir && args.files.length > 1 ? `${args.debugDir}/${index}` : args.debugDir,
      })
    case 'mrz-text':
      return inspectMrzText(bytes.toString('utf8'), { asOf: args.asOf })
    case 'aamva-text':
      return inspectAamvaText(bytes, { asOf: args.asOf })
  }
}

/** Run `loom inspect` with the arguments after "inspect"; writes JSON lines through `out`; returns the exit status. */
export async function runInspect(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseArgs(argv)
  if ('help' in args) {
    out(HELP.trimEnd())
    return 0
  }
  if ('error' in args) {
    out(
      JSON.stringify({
        ok: false,
        error: { code: 'USAGE', message: `${args.error}. See --help.` },
      }),
    )
    return 1
  }
  let status = 0
  for (const [index, file] of args.files.entries()) {
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (err) {
      const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable'
      out(
        JSON.stringify({
          file,
          ok: false,
          error: { code: 'FILE_UNREADABLE', message: `Cannot read ${file} (${reason}).` },
        }),
      )
      status = 1
      continue
    }
    const result = await inspectOne(args, bytes, index)
    out(JSON.stringify({ file, ...result }))
  }
  return status
}
