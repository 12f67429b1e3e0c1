#!/usr/bin/env node
// A `solc` command-line stand-in built on the npm `solc` package (the official
// solc-js build), so that ape-solidity (through py-solc-x) and forge compile
// with no network access. It implements only what those callers use:
//   solc --version
//   solc --standard-json [--base-path P] [--include-path P]... [--allow-paths A,B]
// Standard JSON is read from stdin and the output JSON is the only thing
// written to stdout (the `solcjs` CLI can print non-JSON there, so we do not
// wrap it).
//
// CROSSBOOK_SOLC_OPTIMIZE=1 turns the optimizer on whatever the input asks: `forge coverage`
// turns it off, and without it the legacy code generator runs out of stack in Settlement
// (`make audit` measures coverage this way; the optimizer moves few source positions).
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..', '..');
const solc = require(path.join(projectRoot, 'node_modules', 'solc'));

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: null, includePaths: [], allowPaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--version': opts.version = true; break;
      case '--standard-json': opts.standardJson = true; break;
      case '--base-path': opts.basePath = value(); break;
      case '--include-path': opts.includePaths.push(value()); break;
      case '--allow-paths': opts.allowPaths.push(...value().split(',').filter(Boolean)); break;
      case '--no-color': case '--pretty-json': break;
      default:
        if (flag.startsWith('-')) {
          process.stderr.write(`solcjs-cli: unsupported option ${flag}\n`);
          process.exit(2);
        }
    }
  }
  return opts;
}

function makeImportCallback(opts) {
  const roots = [];
  if (opts.basePath) roots.push(path.resolve(opts.basePath));
  for (const p of opts.includePaths) roots.push(path.resolve(p));
  roots.push(process.cwd());
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.join(root, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (_) { /* try the next root */ }
    }
    return { error: `File not found: ${importPath} (searched ${candidates.join(', ')})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    const full = solc.version().replace('.Emscripten.clang', '');
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('usage: solc --version | solc --standard-json [--base-path P] [--include-path P]\n');
    process.exit(2);
  }
  let input = fs.readFileSync(0, 'utf8');
  if (process.env.CROSSBOOK_SOLC_OPTIMIZE === '1') {
    const json = JSON.parse(input);
    json.settings = json.settings || {};
    json.settings.optimizer = { ...(json.settings.optimizer || {}), enabled: true };
    input = JSON.stringify(json);
  }
  const output = solc.compile(input, { import: makeImportCallback(opts) });
  process.stdout.write(output);
}

main();
