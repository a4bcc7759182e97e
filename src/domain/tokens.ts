// The former name of age-tokens.ts, kept only while routes/verify.ts still imports it by that
// name; delete once that import names age-tokens.ts.
export { MAX_TOKEN_LENGTH } from './age-tokens.ts'
