// `loom`: the only entry point. Each command (cli/*.ts) parses its own flags and has --help.
import { ConfigError, loadConfig } from './config.ts'
import type { Config } from './config.ts'
import { createLogger } from './deps.ts'
import { UsageError, err, out } from './cli/command.ts'
import type { Command } from './cli/command.ts'
import { migrate, serve, worker } from './cli/server.ts'
import { adminKey, key, keys, tenant } from './cli/tenants.ts'
import { estimateAge, faceCompare, inspect, specimen } from './cli/documents.ts'
import { listenCommand } from './cli/listen.ts'

const HELP = `loom — self-hostable age and identity verification

Usage: loom <command> [options]

Commands:
  serve                 Run the HTTP API and the background worker (npm start)
  worker                Run only the background worker (scale-out)
  migrate               Bring the database schema up to date
  tenant create|list    Manage tenants
  key create|revoke     Manage tenants' API keys
  admin-key reset       Replace the admin key (prints the new one once)
  keys rotate           Add a new token signing key; old ones stay published until expiry
  inspect FILE…         Read documents without a server (JSON lines)
  face-compare A B      Compare the portrait on document A with selfie B (JSON)
  estimate-age SELFIE   Estimate age from a selfie; approve or ask for a document (JSON)
  specimen [--out DIR]  Write sample documents (passport, ID card, licence, minor, expired…)
  listen --forward URL  Forward a tenant's events to a local URL (no public URL needed)

Every command takes --help. Configuration comes from the environment (see README).`

const COMMANDS: Record<string, Command> = {
  serve,
  worker,
  migrate,
  tenant,
  key,
  'admin-key': adminKey,
  keys,
  inspect,
  'face-compare': faceCompare,
  'estimate-age': estimateAge,
  specimen,
  listen: listenCommand,
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(HELP)
    return name === undefined ? 1 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    err(`loom: unknown command "${name}"\n`)
    err(HELP)
    return 1
  }
  let cached: Config | null = null
  const config = (): Config => (cached ??= loadConfig())
  try {
    return await command(rest, config)
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`loom ${name}: ${e.message}`)
      return 1
    }
    createLogger({ logLevel: 'error' }).error({ err: e }, `loom ${name} failed`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
