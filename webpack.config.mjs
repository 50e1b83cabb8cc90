import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CopyWebpackPlugin from 'copy-webpack-plugin';
import HtmlWebpackPlugin from 'html-webpack-plugin';

const root = path.dirname(fileURLToPath(import.meta.url));

/** The browser bundles: the Excel task pane (dist/addin). Type checking is `npm run typecheck`'s job. */
export default (_env, argv) => ({
  mode: argv.mode ?? 'development',
  context: root,
  entry: { taskpane: './addin/src/index.tsx' },
  output: { path: path.join(root, 'dist', 'addin'), filename: '[name].[contenthash:8].js', clean: true },
  resolve: { extensions: ['.tsx', '.ts', '.js'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
  module: {
    rules: [{ test: /\.tsx?$/, loader: 'esbuild-loader', options: { target: 'es2022', jsx: 'automatic' } }],
  },
  devtool: 'source-map',
  performance: { hints: false },
  plugins: [
    new HtmlWebpackPlugin({ template: './addin/taskpane.html', filename: 'taskpane.html', chunks: ['taskpane'] }),
    new CopyWebpackPlugin({ patterns: [{ from: 'addin/assets', to: 'assets' }] }),
  ],
});
