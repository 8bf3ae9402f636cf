/**
 * `bulwark/postgres`: not built yet; the subpath exists so the exports map is final.
 */
export {};
