// The layer rules of src/ (see DESIGN.md, "Imports flow inward"), checked by `npm run lint`:
//   1. nothing in api/ imports store/ (routes go through services/);
//   2. nothing below api/ (services, domain, engine, store, jobs) imports api/;
//   3. no import cycles among the modules of src/ (type-only imports included: they still tie
//      two modules' designs together).
// Known departures are listed below with why; each must still occur (a fixed one is removed from
// the list, so the list only shrinks) and a new one fails the check.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SRC = path.join(ROOT, 'src')

/** "from → to" pairs (paths under src/) allowed for now, and why. */
const KNOWN = {}

/** Modules a cycle may pass through for now (none). */
const KNOWN_IN_CYCLES = {}

const LAYERS_BELOW_API = ['services', 'domain', 'engine', 'store', 'jobs']

function sourceFiles(dir) {
  const out = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourceFiles(full))
    else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) out.push(full)
  }
  return out
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** The modules of src/ a file imports (relative specifiers only), as paths under src/. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8')
  const found = new Set()
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    if (!spec?.startsWith('.')) continue
    const target = path.resolve(path.dirname(file), spec)
    if (!target.startsWith(SRC + path.sep)) continue
    found.add(path.relative(SRC, target).split(path.sep).join('/'))
  }
  return [...found]
}

const rel = (file) => path.relative(SRC, file).split(path.sep).join('/')
const top = (p) => p.split('/')[0]

const graph = new Map()
for (const file of sourceFiles(SRC)) graph.set(rel(file), importsOf(file))

const problems = []
const used = new Set()
function breach(from, to, rule) {
  const keys = [`${from} → ${top(to)}/`, `${top(from)}/ → ${top(to)}/`]
  const known = keys.find((k) => k in KNOWN)
  if (known) used.add(known)
  else problems.push(`${rule}: ${from} imports ${to}`)
}

for (const [from, targets] of graph) {
  for (const to of targets) {
    if (top(from) === 'api' && top(to) === 'store') breach(from, to, 'api/ must not import store/')
    if (LAYERS_BELOW_API.includes(top(from)) && top(to) === 'api') {
      breach(from, to, `${top(from)}/ must not import api/`)
    }
  }
}

// Cycles: depth-first search, each cycle reported once (by its smallest rotation).
const seenCycles = new Set()
const state = new Map()
const stack = []
function visit(node) {
  state.set(node, 'open')
  stack.push(node)
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue
    if (state.get(next) === 'open') {
      const cycle = stack.slice(stack.indexOf(next))
      const start = cycle.indexOf([...cycle].sort()[0])
      const key = [...cycle.slice(start), ...cycle.slice(0, start)].join(' → ')
      const knownMember = cycle.find((m) => m in KNOWN_IN_CYCLES)
      if (knownMember) used.add(knownMember)
      else if (!seenCycles.has(key)) {
        seenCycles.add(key)
        problems.push(`import cycle: ${key} → ${cycle[start]}`)
      }
    } else if (!state.has(next)) visit(next)
  }
  stack.pop()
  state.set(node, 'done')
}
for (const node of graph.keys()) if (!state.has(node)) visit(node)

for (const key of [...Object.keys(KNOWN), ...Object.keys(KNOWN_IN_CYCLES)]) {
  if (!used.has(key)) problems.push(`listed as known but no longer happens (remove it): ${key}`)
}

if (problems.length > 0) {
  console.error(`import rules (scripts/check-imports.js): ${problems.length} problem(s)`)
  for (const p of problems) console.error(`  ${p}`)
  process.exit(1)
}
console.log(`import rules: ${graph.size} modules, no breach beyond the ${used.size} listed`)
