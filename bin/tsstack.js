#!/usr/bin/env node
// The `tsstack` command: runs the compiled CLI (npm run build makes it).
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
try {
  require.resolve(main);
} catch {
  console.error(`tsstack is not built: ${main} is missing. Run: npm run setup`);
  process.exit(1);
}
require(main);
