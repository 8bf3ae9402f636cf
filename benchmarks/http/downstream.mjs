/**
 * The downstream of the HTTP client scenario: a bare node:http server on
 * 127.0.0.1 in its own process that answers every request with a small JSON
 * body. Prints `{ "port": n }` when listening.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({ id: 'pay_1', status: 'settled' });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
