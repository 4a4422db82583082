// The dashboard's files that tsc does not write: its HTML and CSS, and uPlot's ES module and
// stylesheet, copied into dist/src/dashboard beside the compiled scripts (part of `npm run build`).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/dashboard');
const out = join(root, 'dist/src/dashboard');
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const name of readdirSync(source)) {
  if (name.endsWith('.html') || name.endsWith('.css')) copyFileSync(join(source, name), join(out, name));
}
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
copyFileSync(join(uplot, 'dist/uPlot.esm.js'), join(out, 'vendor/uplot.js'));
copyFileSync(join(uplot, 'dist/uPlot.min.css'), join(out, 'vendor/uplot.css'));
copyFileSync(join(uplot, 'LICENSE'), join(out, 'vendor/uplot.LICENSE.txt'));
