// Load client run inside the control host's namespace: sends HTTP GETs continuously (each on a new
// connection) to the given URLs in turn, `loops` at a time, until SIGTERM; then prints one JSON line
// {requests, failed, bodies: {<body>: n}, errors: [first few]} on stdout.
'use strict';
/* global require, process, setTimeout */
/* eslint-disable @typescript-eslint/no-require-imports */
const http = require('node:http');

const [loopsArg, ...urls] = process.argv.slice(2);
const loops = Number(loopsArg) || 2;
const result = { requests: 0, failed: 0, bodies: {}, errors: [] };
let stopping = false;
let next = 0;

function one() {
  return new Promise((resolve) => {
    const url = urls[next++ % urls.length];
    const req = http.get(url, { timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        result.requests++;
        const key = body.trim().slice(0, 40);
        result.bodies[key] = (result.bodies[key] || 0) + 1;
        if (res.statusCode !== 200) fail(`${url} status ${res.statusCode}`);
        resolve();
      });
      res.on('error', (e) => {
        result.requests++;
        fail(`${url} ${e.message}`);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      result.requests++;
      fail(`${url} ${e.message}`);
      resolve();
    });
  });
}

function fail(msg) {
  result.failed++;
  if (result.errors.length < 10) result.errors.push(`${new Date().toISOString()} ${msg}`);
}

async function loop() {
  while (!stopping) {
    await one();
    await new Promise((r) => setTimeout(r, 20));
  }
}

process.on('SIGTERM', () => {
  stopping = true;
});
Promise.all(Array.from({ length: loops }, loop)).then(() => {
  process.stdout.write(JSON.stringify(result) + '\n');
});
process.stderr.write('load-client: started\n');
