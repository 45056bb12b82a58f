// Number formatting shared by tables and CSV, so both say the same thing.
export const mbps = (bytesPerSecond: number): string => ((bytesPerSecond * 8) / 1e6).toFixed(1)
export const fixed = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined ? '' : value.toFixed(digits)
