// ESLint: typescript-eslint (recommended, with the type-aware rules that catch promise mistakes)
// and the architecture of CONVENTIONS 11: features never import each other except through a
// feature's public index.ts; lib and components never import features or app.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const feature = { element: { type: 'feature', fileInternalPath: 'index.ts' } };
const lib = { element: { type: 'lib' } };
const components = { element: { type: 'components' } };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'e2e/artifacts/**', 'src/lib/api/schema.gen.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      'boundaries/elements': [
        { type: 'app', pattern: 'src/app', partialMatch: false },
        { type: 'feature', pattern: 'src/features/*', partialMatch: false, capture: ['name'] },
        { type: 'lib', pattern: 'src/lib', partialMatch: false },
        { type: 'components', pattern: 'src/components', partialMatch: false },
        { type: 'testing', pattern: 'src/testing', partialMatch: false },
      ],
      'boundaries/files': [{ category: 'test', pattern: '**/*.test.ts' }],
    },
    rules: {
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        message: 'Architecture (CONVENTIONS 11): {{from.type}} may not import this {{to.type}} module (features only through their index.ts; lib and components never import features or app).',
        policies: [
          { from: { element: { type: 'app' } }, allow: { to: [feature, lib, components] } },
          { from: { element: { type: 'feature' } }, allow: { to: [feature, lib, components] } },
          { from: { element: { type: 'components' } }, allow: { to: [lib, components] } },
          { from: { element: { type: 'testing' } }, allow: { to: [lib] } },
          // Tests (only tests) may use the shared fixtures.
          { from: { file: { categories: 'test' } }, allow: { to: { element: { type: 'testing' } } } },
        ],
      }],
    },
  },
  {
    files: ['src/**/*.test.ts', 'src/testing/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['e2e/**/*.mjs', 'scripts/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', Buffer: 'readonly' } },
  },
);
