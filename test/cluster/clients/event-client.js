// Event stream client run inside the control host's namespace: subscribes to WS /v1/events and on every
// close reconnects with since=<last id seen>, as a user's client would. Prints one line per event id on
// stdout ("E <id>") and "R <id>" on each reconnect; SIGTERM ends it.
'use strict';
/* global require, process, setTimeout */
/* eslint-disable @typescript-eslint/no-require-imports */
const WebSocket = require('ws');

const [base, token] = process.argv.slice(2);
let last;
let stopping = false;
let ws;

function connect() {
  const url = `${base.replace(/^http/, 'ws')}/v1/events${last ? `?since=${last}` : ''}`;
  ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  ws.on('open', () => process.stdout.write(`O ${last || '-'}\n`));
  ws.on('message', (data) => {
    const e = JSON.parse(String(data));
    if (e.type === 'stream.gap') process.stdout.write(`G ${e.id}\n`);
    else {
      last = e.id;
      process.stdout.write(`E ${e.id}\n`);
    }
  });
  ws.on('error', () => undefined);
  ws.on('close', () => {
    if (stopping) return;
    process.stdout.write(`R ${last || '-'}\n`);
    setTimeout(connect, 200);
  });
}

process.on('SIGTERM', () => {
  stopping = true;
  ws.close();
  setTimeout(() => process.exit(0), 200);
});
connect();
