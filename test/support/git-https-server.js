#!/usr/bin/env node
// A git smart-HTTP server over TLS, optionally behind basic auth: serves the repositories
// under <root> through `git http-backend` (CGI). Run in its own process so the tests can
// run git synchronously against it.
// usage: node git-https-server.js <root> <cert.pem> <key.pem> <user> <password> <log> [v0]
// <user> '-' serves without authentication. 'v0' drops the client's Git-Protocol header,
// as a web server that does not pass it on does: http-backend then speaks protocol v0.
// Prints the port; appends one line per request to <log>: "<user or -> <method> <path>".
// With GIT_HTTPS_SERVER_BYTES_LOG=<file> in its environment, it also appends "open" when a
// TCP connection opens and "close <bytes sent> <bytes received>" when it closes: what went
// over the wire, TLS records and HTTP headers included (the bench's bytes per update).
'use strict';
const { spawn } = require('node:child_process');
const { appendFileSync, readFileSync } = require('node:fs');
const https = require('node:https');

const [root, cert, key, user, password, log, protocol] = process.argv.slice(2);
const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const url = new URL(req.url, 'https://localhost');
  const authorized = user === '-' || req.headers.authorization === expected;
  appendFileSync(log, `${authorized && user !== '-' ? user : '-'} ${req.method} ${url.pathname}\n`);
  if (!authorized) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
    res.end();
    return;
  }
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers['content-type'] || '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] || '',
      GIT_PROTOCOL: protocol === 'v0' ? '' : req.headers['git-protocol'] || '',
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let sent = false;
  cgi.stdout.on('data', (chunk) => {
    if (sent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const headers = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
    sent = true;
  });
  cgi.on('close', () => res.end());
});
const bytesLog = process.env.GIT_HTTPS_SERVER_BYTES_LOG;
if (bytesLog) {
  // 'connection' gives the raw TCP socket, before TLS: its counters are the encrypted bytes.
  server.on('connection', (socket) => {
    appendFileSync(bytesLog, 'open\n');
    socket.on('close', () => appendFileSync(bytesLog, `close ${socket.bytesWritten} ${socket.bytesRead}\n`));
  });
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
