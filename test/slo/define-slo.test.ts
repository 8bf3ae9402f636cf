import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/index.js';
import { defineSlo, type SliEvent, type SloOptions } from '../../src/slo/index.js';

const base: SloOptions = { name: 'transfers', sli: { kind: 'availability' }, objective: 0.999 };
const event: SliEvent = {
  method: 'post',
  route: '/transfers',
  statusCode: 201,
  durationSeconds: 0.1,
  jurisdiction: 'de',
  tenantClass: 'premium',
};

describe('defineSlo options', () => {
  it.each([
    [{ name: 'Transfers' }, 'name'],
    [{ name: '' }, 'name'],
    [{ objective: 1 }, 'objective'],
    [{ objective: 0 }, 'objective'],
    [{ objective: 99.9 }, 'objective'],
    [{ windowDays: 0 }, 'windowDays'],
    [{ windowDays: 7.5 }, 'windowDays'],
    [{ sli: { kind: 'latency', thresholdSeconds: 0.3 } }, 'sli.thresholdSeconds'],
    [{ sli: { kind: 'errors' } }, 'sli.kind'],
    [{ selector: { routes: [] } }, 'selector.routes'],
    [{ selector: { methods: ['GET', 3] } }, 'selector.methods'],
    [{ minEventsToExhaust: -1 }, 'minEventsToExhaust'],
  ])('rejects %j naming the field', (override, field) => {
    const attempt = () => defineSlo({ ...base, ...override } as SloOptions);
    expect(attempt).toThrow(`option "${field}"`);
    try {
      attempt();
    } catch (error) {
      expect(isBulwarkError(error, 'BULWARK_INVALID_OPTIONS')).toBe(true);
    }
  });

  it('accepts every histogram bucket bound as a latency threshold, and reports defaults', () => {
    const slo = defineSlo({ ...base, sli: { kind: 'latency', thresholdSeconds: 2.5 } });
    expect(slo.definition).toEqual({
      name: 'transfers',
      sli: { kind: 'latency', thresholdSeconds: 2.5 },
      objective: 0.999,
      windowDays: 28,
      selector: {},
      description: undefined,
    });
  });
});

describe('selector', () => {
  it('matches everything without a selector', () => {
    expect(defineSlo(base).matches({ ...event, route: undefined })).toBe(true);
  });

  it('combines lists with AND; methods and jurisdictions ignore case', () => {
    const slo = defineSlo({
      ...base,
      selector: {
        routes: ['/transfers', '/transfers/:id'],
        methods: ['POST'],
        jurisdictions: ['DE', 'fr'],
        tenantClasses: ['premium'],
      },
    });
    expect(slo.definition.selector.jurisdictions).toEqual(['DE', 'FR']);
    expect(slo.matches(event)).toBe(true);
    expect(slo.matches({ ...event, jurisdiction: 'FR' })).toBe(true);
    expect(slo.matches({ ...event, route: '/refunds' })).toBe(false);
    expect(slo.matches({ ...event, route: undefined })).toBe(false);
    expect(slo.matches({ ...event, method: 'GET' })).toBe(false);
    expect(slo.matches({ ...event, jurisdiction: 'US' })).toBe(false);
    expect(slo.matches({ ...event, jurisdiction: undefined })).toBe(false);
    expect(slo.matches({ ...event, tenantClass: 'standard' })).toBe(false);
    expect(slo.matches({ ...event, tenantClass: undefined })).toBe(false);
  });

  it('records only the requests it matches', () => {
    const slo = defineSlo({ ...base, selector: { routes: ['/transfers'] } });
    slo.record(event);
    slo.record({ ...event, route: '/healthz', statusCode: 500 });
    expect(slo.snapshot()).toMatchObject({ total: 1, bad: 0 });
  });

  it('never throws from record(), even on a malformed event', () => {
    const slo = defineSlo(base);
    expect(() => slo.record(null as unknown as SliEvent)).not.toThrow();
    expect(() => slo.record({ ...event, statusCode: Number.NaN })).not.toThrow();
    expect(slo.snapshot().total).toBe(0);
  });
});
