import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CompressionPlugin from 'compression-webpack-plugin';
import CopyWebpackPlugin from 'copy-webpack-plugin';
import HtmlWebpackPlugin from 'html-webpack-plugin';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The browser bundles: the Excel task pane (dist/addin) and the web console (dist/console).
 * Type checking is `npm run typecheck`'s job.
 */
const common = (argv) => ({
  mode: argv.mode ?? 'development',
  context: root,
  resolve: { extensions: ['.tsx', '.ts', '.js'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
  module: {
    rules: [{ test: /\.tsx?$/, loader: 'esbuild-loader', options: { target: 'es2022', jsx: 'automatic' } }],
  },
  devtool: 'source-map',
  performance: { hints: false },
});

export default (_env, argv) => [
  {
    ...common(argv),
    name: 'addin',
    entry: { taskpane: './addin/src/index.tsx', commands: './addin/src/commands.ts' },
    output: { path: path.join(root, 'dist', 'addin'), filename: '[name].[contenthash:8].js', clean: true },
    plugins: [
      new HtmlWebpackPlugin({ template: './addin/taskpane.html', filename: 'taskpane.html', chunks: ['taskpane'] }),
      new HtmlWebpackPlugin({ template: './addin/commands.html', filename: 'commands.html', chunks: ['commands'] }),
      new CopyWebpackPlugin({ patterns: [{ from: 'addin/assets', to: 'assets' }] }),
    ],
  },
  {
    ...common(argv),
    name: 'console',
    entry: { console: './console/src/index.tsx' },
    // Served at /: assets under /static so they never meet a console page's path.
    output: {
      path: path.join(root, 'dist', 'console'),
      publicPath: '/',
      filename: 'static/[name].[contenthash:8].js',
      // Pages loaded on demand (the SQL editor, charts) get chunks of their own.
      chunkFilename: 'static/[name].[contenthash:8].js',
      clean: true,
    },
    plugins: [
      new HtmlWebpackPlugin({ template: './console/index.html', filename: 'index.html', chunks: ['console'] }),
      new CopyWebpackPlugin({ patterns: [{ from: 'addin/assets/icon-32.png', to: 'static/icon-32.png' }] }),
      // Compressed once at build time, served as they are when the browser takes them
      // (server/api/precompressed.ts): the console's JavaScript travels at a fraction of its size.
      new CompressionPlugin({ test: /\.js$/, algorithm: 'gzip', filename: '[path][base].gz' }),
      new CompressionPlugin({ test: /\.js$/, algorithm: 'brotliCompress', filename: '[path][base].br' }),
    ],
  },
];
