// Preload for Node servers under benchmark (node -r ./node-loopback.cjs server.js): every TCP
// listen() that names no host binds 127.0.0.1 instead of all interfaces (server-everything
// calls app.listen(PORT)), and the bound address is printed on stderr as
// "node-loopback: listening on http://127.0.0.1:PORT" so PORT=0 (an ephemeral port) works.
'use strict';
const net = require('node:net');
const HOST = '127.0.0.1';
const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (a0 !== null && typeof a0 === 'object' && !Array.isArray(a0)) {
    if (a0.path === undefined && a0.fd === undefined && a0.handle === undefined && a0._handle === undefined)
      args[0] = { ...a0, host: HOST };
  } else if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0)) || a0 === undefined) {
    if (typeof args[1] === 'string') args[1] = HOST;
    else args.splice(1, 0, HOST);
    if (a0 === undefined) args[0] = 0;
  }
  this.once('listening', () => {
    const a = this.address();
    if (a && typeof a === 'object') process.stderr.write(`node-loopback: listening on http://${HOST}:${a.port}\n`);
  });
  return origListen.apply(this, args);
};
