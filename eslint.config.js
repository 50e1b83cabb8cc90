import babelParser from '@babel/eslint-parser';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Lint rules for every TypeScript file in the repository. TypeScript 7 (the native compiler this project
 * type-checks with) has no JavaScript API for typescript-eslint to use, so files are parsed by Babel's
 * TypeScript syntax support; type-aware checks — unused locals and parameters among them — are tsc's
 * job (`noUnusedLocals`, `noUnusedParameters` in every tsconfig). Formatting is Prettier's.
 */
const parserFor = (plugins) => ({
  parser: babelParser,
  parserOptions: {
    requireConfigFile: false,
    babelOptions: { babelrc: false, configFile: false, parserOpts: { plugins } },
  },
  ecmaVersion: 'latest',
  sourceType: 'module',
});

/**
 * ESLint's max-lines-per-function, except for the callback of a test's `describe(...)`: that is a list of
 * tests, not a function doing one job. Lines are counted as the core rule counts them with skipBlankLines
 * and skipComments; every other function, a test's `it(...)` body included, is held to `max`.
 */
const maxFunctionLines = {
  meta: { type: 'suggestion', schema: [{ type: 'integer', minimum: 1 }] },
  create(context) {
    const max = context.options[0] ?? 80;
    const source = context.sourceCode;
    const commentLines = new Set();
    for (const comment of source.getAllComments()) {
      for (let line = comment.loc.start.line; line <= comment.loc.end.line; line++) {
        const text = source.lines[line - 1].trim();
        // A line that holds code beside the comment still counts.
        if (text.startsWith('//') || text.startsWith('/*') || text.startsWith('*') || line !== comment.loc.start.line)
          commentLines.add(line);
      }
    }
    const isDescribe = (node) =>
      node.parent?.type === 'CallExpression' &&
      node.parent.arguments.includes(node) &&
      /^describe(\.|$)/.test(source.getText(node.parent.callee));
    const check = (node) => {
      if (isDescribe(node)) return;
      let lines = 0;
      for (let line = node.loc.start.line; line <= node.loc.end.line; line++) {
        if (source.lines[line - 1].trim() !== '' && !commentLines.has(line)) lines++;
      }
      if (lines > max)
        context.report({ node, message: `Function has too many lines (${lines}). Maximum allowed is ${max}.` });
    };
    return { FunctionDeclaration: check, FunctionExpression: check, ArrowFunctionExpression: check };
  },
};

export default [
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'test-output/', 'scratch/'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    languageOptions: parserFor(['typescript']),
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'exact-sync': { rules: { 'max-function-lines': maxFunctionLines } } },
    rules: {
      // Long functions hide several jobs: split them (generated data is exempt by living in data files).
      'exact-sync/max-function-lines': ['error', 80],
      'max-depth': ['error', 5],
      'max-params': ['error', 7],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-throw-literal': 'error',
      'no-self-compare': 'error',
      'no-unreachable': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-dupe-keys': 'error',
      'no-duplicate-case': 'error',
      'no-fallthrough': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-unsafe-finally': 'error',
      'no-return-assign': 'error',
      'no-sequences': 'error',
      'no-useless-catch': 'error',
    },
  },
  { files: ['**/*.tsx'], languageOptions: parserFor(['typescript', 'jsx']) },
  {
    files: ['addin/src/**/*.tsx', 'console/src/**/*.tsx', 'addin/src/**/*.ts', 'console/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
];
