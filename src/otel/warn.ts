import { WarningCode, warnOnce as warnOnceWithCode } from '../warnings.js';

/** Emits a `bulwark/otel:` warning (code `BULWARK_OTEL`) once per process. Never throws. */
export function warnOnce(message: string): void {
  warnOnceWithCode(WarningCode.Otel, `bulwark/otel: ${message}`);
}
