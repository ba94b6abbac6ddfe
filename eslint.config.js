// @ts-check
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The layering of DESIGN.md "Layout", from the one checked-in list (layers.json): each folder names
 * the folders it may import; everything else is an error. Tests may import anything.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the JSON's shape is the cast's
const layering = /** @type {{ layers: Record<string, { path: string, imports: string[] }>, noNodeIo: string[] }} */ (
  JSON.parse(readFileSync(join(import.meta.dirname, 'layers.json'), 'utf8'))
);
const layerNames = Object.keys(layering.layers);

// Node modules that do I/O; gateway/protocol holds the rules of the standard and does none.
const NODE_IO = ['fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process', 'worker_threads', 'cluster', 'os', 'readline'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'coverage/**', 'bin/**', 'tests/e2e/screenshots/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'gateway/txlog/chain-core.js', 'gateway/txlog/backends/sqlite/sqlite-writer-thread.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': [
        ...layerNames.map((type) => ({ type, pattern: layering.layers[type]?.path ?? '' })),
        { type: 'tests', pattern: 'tests' },
      ],
      'boundaries/include': ['gateway/**', 'config/**', 'certs/**', 'directory/**', 'peer/**', 'cli/**', 'demo/**', 'bench/**', 'tests/**'],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: 'layers.json: {{from.type}} may not import {{to.type}} (imports point down, DESIGN.md "Layout")',
          policies: [
            { from: { element: { type: 'tests' } }, allow: { to: { element: { type: '*' } } } },
            ...layerNames.map((type) => ({
              from: { element: { type } },
              allow: { to: { element: { types: { anyOf: [type, ...(layering.layers[type]?.imports ?? [])] } } } },
            })),
          ],
        },
      ],
    },
  },
  {
    files: layering.noNodeIo.map((type) => `${layering.layers[type]?.path ?? type}/**`),
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: NODE_IO.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'gateway/protocol does no I/O (DESIGN.md "Layout")' })) },
      ],
    },
  },
  {
    files: ['cli/**', 'bench/**', 'tests/**', 'demo/**'],
    rules: { 'no-console': 'off' },
  },
);
