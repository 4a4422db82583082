import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // The core decides; it never touches the machine. Keep node: and edge modules out of it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/core is pure: do I/O in an edge module.' },
            {
              group: ['../store/*', '../drivers/*', '../proxy/*', '../api/*', '../cli/*', '../daemon/*'],
              message: 'src/core must not depend on edges.',
            },
          ],
        },
      ],
    },
  },
);
