/**
 * The jurisdictions the SLOs among `recorders` select on (upper-cased, once
 * each). `requestMetrics()` always keeps these as their own
 * `tenant.jurisdiction` label: the Prometheus rules of such an SLO match on
 * the label, and would miss its traffic if it were folded into `other`.
 * Recorders are read structurally: anything without a
 * `definition.selector.jurisdictions` list selects none.
 */
export function jurisdictionsSelectedBy(recorders: readonly unknown[]): string[] {
  const selected = new Set<string>();
  for (const recorder of recorders) {
    const list = (recorder as { definition?: { selector?: { jurisdictions?: unknown } } })
      ?.definition?.selector?.jurisdictions;
    if (!Array.isArray(list)) continue;
    for (const value of list) if (typeof value === 'string') selected.add(value.toUpperCase());
  }
  return [...selected];
}
