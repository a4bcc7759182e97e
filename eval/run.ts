// `npm run eval [-- NAME…]`: run every evaluation table, or only the named ones.
// To add a table, add one line to EVALS.

import { runAamvaEval } from './aamva.ts'
import { runFacesEval } from './faces.ts'
import { runFacesPairsEval } from './faces-pairs.ts'
import { runFacesRealEval } from './faces-real.ts'
import { runMrzEval } from './mrz.ts'
import { runRealEval } from './real.ts'

const EVALS: Record<string, (args: string[]) => Promise<void>> = {
  mrz: runMrzEval,
  aamva: runAamvaEval,
  faces: runFacesEval,
  real: runRealEval,
  'faces-real': runFacesRealEval,
  'faces-pairs': runFacesPairsEval,
}

const args = process.argv.slice(2)
const names = args.filter((a) => a in EVALS)
// A word right after an option (`--split heldout`, `--mirror DIR`) is that option's value, not a
// table name.
const unknown = args.filter(
  (a, i) =>
    !a.startsWith('-') && !(a in EVALS) && !/^\d+$/.test(a) && !args[i - 1]?.startsWith('--'),
)
if (unknown.length > 0) {
  console.error(`unknown evaluation ${unknown.join(', ')}; known: ${Object.keys(EVALS).join(', ')}`)
  process.exit(1)
}
for (const name of names.length > 0 ? names : Object.keys(EVALS)) {
  await EVALS[name]!(args.filter((a) => !(a in EVALS)))
}
