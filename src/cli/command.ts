// What every `loom` command shares: its signature, its output lines and its flag parsing.
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { Config } from '../config.ts'

/** A mistake in how a command was called: printed as one line, exit status 1. */
export class UsageError extends Error {}

export const out = (line: string): void => void process.stdout.write(`${line}\n`)
export const err = (line: string): void => void process.stderr.write(`${line}\n`)

export type Command = (argv: string[], config: () => Config) => Promise<number>

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    })
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}
