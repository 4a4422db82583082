import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import coreIsPure from './eslint-rules/core-is-pure.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/', 'scripts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core decides; it never touches the machine (test/unit/core-layering.test.ts proves it).
    files: ['src/core/**/*.ts'],
    plugins: { berth: { rules: { 'core-is-pure': coreIsPure } } },
    rules: { 'berth/core-is-pure': 'error' },
  },
);
