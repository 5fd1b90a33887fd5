// The lint gate (`npm run lint`, run by .ci/run): typescript-eslint's type-aware rules, exhaustive
// switches, no `any`, and the layer boundaries of docs/ARCHITECTURE.md as import restrictions.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** An import whose source matches `regex` is refused in these files, with the reason. */
const forbid = (files, ...patterns) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }],
  },
});

export default tseslint.config(
  // src/metadata.ts is written by npm run openapi:metadata.
  { ignores: ['dist/', '.build/', 'coverage/', 'node_modules/', 'client/dist/', 'web/dist/', '**/*.js', 'src/metadata.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['web/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Nest's decorators and class-based DI use classes with only static members or empty constructors on purpose.
      '@typescript-eslint/no-extraneous-class': 'off',
      // In-memory implementations of a Promise-returning interface (token stores, stand-ins) are
      // async without awaiting anything, which is what the interface asks of them.
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Layers (docs/ARCHITECTURE.md): presentation does not reach the database, the domain knows
  // nothing of GraphQL or presentation, data knows nothing of presentation, and infrastructure
  // does not depend on feature modules.
  forbid(['src/modules/*/presentation/**/*.ts'], ['/data/', 'presentation reaches the database only through a domain service']),
  forbid(
    ['src/modules/*/domain/**/*.ts'],
    ['/presentation/', 'the domain does not depend on presentation'],
    ['^(@nestjs/graphql|graphql)$|/graphql/', 'the domain does not depend on GraphQL'],
  ),
  forbid(['src/modules/*/data/**/*.ts'], ['/presentation/', 'data does not depend on presentation']),
  forbid(
    ['src/{kernel,events,graphql,metrics,health,logging,common,config}/**/*.ts'],
    ['/modules/', 'infrastructure does not depend on feature modules'],
  ),
  {
    // End-to-end tests read JSON answers whose shape is the very thing they assert: typing every
    // answer would restate the schema in each test without catching more.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
