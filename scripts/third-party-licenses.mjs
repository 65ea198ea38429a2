#!/usr/bin/env node
// The licenses of the packages bundled into dist/: the command line (dist/cli/bin.js) and the
// worker threads (dist/runs/*.js) carry their packages' code (tsup.config.ts), so the package
// ships those packages' license texts (Apache-2.0 §4 asks for the license and the NOTICE file
// with any redistribution; MIT, ISC and 0BSD for the copyright notice).
//
//   node scripts/third-party-licenses.mjs [dist]      (run by `npm run build`)
//
// Which packages: esbuild heads each bundled module with a `// node_modules/<package>/<file>`
// comment; every package named that way is listed, nested ones under their own path. Writes
// dist/THIRD-PARTY-LICENSES.md; a bundled package whose package.json or license text cannot be
// found is an error that names it (the notice would be incomplete).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The package directories (relative to the project, e.g. `node_modules/zod`) a bundle holds code of. */
export function bundledPackages(code) {
  const found = new Set();
  const head = /^\/\/ ((?:node_modules\/(?:@[^/\n]+\/)?[^/\n]+\/)+)/gm;
  for (const m of code.matchAll(head)) found.add(m[1].slice(0, -1));
  return [...found].sort();
}

/** The notice for these package directories: name, version, license and the license files' text. */
export function licenseNotice(dirs, base = root) {
  const parts = ['# Third-party licenses', '', 'The command line (`cli/bin.js`) and the worker threads (`runs/*.js`) of this package carry code of the packages below, under their own licenses.', ''];
  for (const d of dirs) {
    const pj = join(base, d, 'package.json');
    if (!existsSync(pj)) throw new Error(`third-party-licenses: ${d} is bundled but ${pj} is missing`);
    const p = JSON.parse(readFileSync(pj, 'utf8'));
    const files = readdirSync(join(base, d))
      .filter((f) => /^(licen[cs]e|notice|copyright)/i.test(f))
      .sort();
    if (files.length === 0) throw new Error(`third-party-licenses: ${d} (${p.name}) has no LICENSE file`);
    parts.push(`## ${p.name} ${p.version} (${p.license})`, '');
    for (const f of files) parts.push(`### ${f}`, '', '```', readFileSync(join(base, d, f), 'utf8').trimEnd(), '```', '');
  }
  return parts.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = resolve(process.argv[2] ?? join(root, 'dist'));
  const bundles = [join(dist, 'cli/bin.js'), ...readdirSync(join(dist, 'runs')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'runs', f))];
  const dirs = new Set();
  for (const b of bundles) for (const d of bundledPackages(readFileSync(b, 'utf8'))) dirs.add(d);
  const list = [...dirs].sort();
  writeFileSync(join(dist, 'THIRD-PARTY-LICENSES.md'), licenseNotice(list));
  console.log(`third-party-licenses: ${list.length} packages in ${join(dist, 'THIRD-PARTY-LICENSES.md')}`);
}
