import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { headerLines, REPEATED_HEADER, soleHeaderLine } from '../../src/http/header-lines.js';

function requestWith(rawHeaders: string[]): IncomingMessage {
  return { rawHeaders } as unknown as IncomingMessage;
}

describe('soleHeaderLine', () => {
  it('reads a header sent once, in any case, as headerLines would', () => {
    const req = requestWith(['Host', 'h', 'X-TENANT-ID', 'acme', 'x-jurisdiction', '']);
    expect(soleHeaderLine(req, 'x-tenant-id')).toBe('acme');
    expect(soleHeaderLine(req, 'X-Jurisdiction')).toBe('');
    expect(headerLines(req, 'x-tenant-id')).toEqual(['acme']);
  });

  it('is undefined for an absent header', () => {
    expect(soleHeaderLine(requestWith(['Host', 'h']), 'x-tenant-id')).toBeUndefined();
  });

  it('tells a header sent on two lines, even an empty first one, from one sent once', () => {
    const req = requestWith(['x-tenant-id', '', 'X-Tenant-Id', 'evil']);
    expect(soleHeaderLine(req, 'x-tenant-id')).toBe(REPEATED_HEADER);
  });
});
