// A remote that accepts and never answers, on 127.0.0.1 only: with a certificate and key it
// completes TLS and reads the request, without them it holds the TCP connection (what an
// ssh client sees as a server that never sends its banner). Prints its port, then waits.
// Usage: node git-silent-server.js [cert key]
const net = require('node:net');
const tls = require('node:tls');
const fs = require('node:fs');

const [cert, key] = process.argv.slice(2);
const held = [];
const hold = (socket) => {
  held.push(socket);
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
};
const server = cert ? tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, hold) : net.createServer(hold);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
