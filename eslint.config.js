// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    // scripts/ocrb-glyphs.mjs runs once, by hand, with fontkit (not a dependency): not linted.
    ignores: [
      'node_modules/',
      'dist/',
      'packages/*/dist/',
      'data/',
      'eval/out/',
      'bench/out/',
      'tmp-*',
      'scripts/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.js'] },
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Tests read JSON bodies (typed any) all the time; asserting on them is the point.
    files: ['test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts', 'eval/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    // The hosted page's own scripts run in the browser (page.js a module, embed.js a classic
    // script included by tenants' pages).
    files: ['src/web/static/**/*.js'],
    languageOptions: {
      parserOptions: { projectService: false, project: false },
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'navigator',
          'location',
          'fetch',
          'URL',
          'URLSearchParams',
          'CustomEvent',
          'Element',
          'createImageBitmap',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['src/web/static/embed.js'],
    languageOptions: { sourceType: 'script' },
  },
)
