// The former name of age-token-validation.ts, kept only while routes/verify.ts still imports it
// by that name; delete once that import names age-token-validation.ts.
export { TokenBody, ValidateReply, validationReplies } from './age-token-validation.ts'
