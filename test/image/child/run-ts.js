// Runs a TypeScript file of this repository in a plain node process (for tests that need real separate
// processes): a require hook transpiles .ts with the project's own typescript and maps @tsstack/* paths.
// Usage: node test/image/child/run-ts.js <file.ts> [args...]
/* global require, __dirname, process */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const repo = path.resolve(__dirname, '../../..');
const paths = JSON.parse(fs.readFileSync(path.join(repo, 'tsconfig.json'), 'utf8')).compilerOptions.paths;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const mapped = paths[request];
  if (mapped) request = path.join(repo, mapped[0]);
  else if (request.startsWith('.') && parent && parent.filename && parent.filename.endsWith('.ts')) {
    const base = path.resolve(path.dirname(parent.filename), request);
    if (!fs.existsSync(base + '.js') && fs.existsSync(base + '.ts')) request = base + '.ts';
    else if (fs.existsSync(path.join(base, 'index.ts'))) request = path.join(base, 'index.ts');
  }
  return resolve.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (m, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
    },
  });
  m._compile(out.outputText, filename);
};
const [file, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], file, ...args];
require(path.resolve(file));
