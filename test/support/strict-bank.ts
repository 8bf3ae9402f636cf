import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One payment the bank executed. */
export interface BankExecution {
  readonly key: string;
  readonly body: string;
  readonly reference: string;
}

/** What the strict bank does with the next request, before or after executing it. */
export type BankFault = 'drop-after-execute' | 'none';

/** A downstream that refuses a key reused with other parameters, as Stripe does. */
export interface StrictBank {
  readonly url: string;
  /** Payments executed, in order: one per key at most. */
  readonly executions: BankExecution[];
  /** Requests refused because their key came with another payment (422). */
  refused: number;
  /** Every request's key, in arrival order (retries and replays included). */
  readonly keysSeen: string[];
  /** Faults for the next requests, taken one per request. */
  readonly faults: BankFault[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 playing a strict bank: `POST /payments` with
 * an `Idempotency-Key` executes once per key; the same key with the same body
 * replays the first answer; the same key with any other body is refused with
 * 422, whatever changed (a new transfer id included). A fault can make it
 * execute and then drop the connection, so the caller cannot know it did.
 */
export async function startStrictBank(): Promise<StrictBank> {
  const byKey = new Map<string, { digest: string; answer: string }>();
  const bank: Omit<StrictBank, 'url' | 'close'> = {
    executions: [],
    refused: 0,
    keysSeen: [],
    faults: [],
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return answer(res, 400, { error: 'key required' });
    bank.keysSeen.push(key);
    const fault = bank.faults.shift() ?? 'none';
    const digest = createHash('sha256').update(body).digest('hex');
    const known = byKey.get(key);
    if (known !== undefined) {
      if (known.digest !== digest) {
        bank.refused += 1;
        return answer(res, 422, { error: 'idempotency key reused with other parameters' });
      }
      res.setHeader('idempotent-replayed', 'true');
      return answer(res, 201, JSON.parse(known.answer));
    }
    const reference = `BNK-${bank.executions.length + 1}`;
    const payment = JSON.parse(body) as { transferId?: string };
    const result = JSON.stringify({ reference, transferId: payment.transferId });
    byKey.set(key, { digest, answer: result });
    bank.executions.push({ key, body, reference });
    if (fault === 'drop-after-execute') return req.socket.destroy();
    return answer(res, 201, JSON.parse(result));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(bank, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
