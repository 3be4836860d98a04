import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'coverage/', 'storage/', 'framework/console/stubs/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      // Lazy `require()` is how the CLI and providers avoid loading drivers they do not use.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The playground's page: ES modules run by the browser.
    files: ['framework/playground/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'sessionStorage', 'fetch', 'setTimeout', 'TextDecoderStream', 'HTMLElement', 'AbortController'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['framework/**/*.ts'],
    rules: {
      'no-console': 'error',
    },
  },
)
