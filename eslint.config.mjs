// Lint rules. The pure core (spec, model, planner) may import nothing with side effects: no drivers,
// no Node I/O modules, no Redis, no sockets. That is the one rule of the design, enforced here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sideEffectModules = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'child_process',
  'node:child_process',
  'net',
  'node:net',
  'http',
  'node:http',
  'dgram',
  'node:dgram',
  'ioredis',
  'ws',
  '@tsstack/store',
  '@tsstack/runtime',
  '@tsstack/image',
  '@tsstack/network',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'bin/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['libs/model/**/*.ts', 'libs/planner/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: sideEffectModules }] },
  },
  {
    files: ['libs/spec/**/*.ts'],
    ignores: ['libs/spec/**/*.spec.ts', 'libs/spec/src/file-reader.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: sideEffectModules.filter((m) => !m.includes('fs')) }],
    },
  },
);
