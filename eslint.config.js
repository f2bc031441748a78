// Lint rules that catch what the type checker does not: promises nobody waits for. `serve` runs
// under plain Node, where an unhandled rejection ends the process, and a rejected promise
// nobody awaits loses its error silently everywhere else. `void promise` is no escape here
// (ignoreVoid: false): a fire-and-forget call must say what happens when it fails (`.catch`).
// `npm test` runs this (`npm run lint`, after the typecheck), so a new floating promise fails CI.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.web.json', './e2e/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, ignoreIIFE: false }],
      // A promise handed to a place that expects a plain callback (an event listener, forEach)
      // floats just the same.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
);
