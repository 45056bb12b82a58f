// How policy reasons print a figure next to the limit it was compared with.

/**
 * Two decimals, or four when two would print the value and its limit alike, so a reason never
 * reads "0.75 < 0.75" (0.7499 against 0.75).
 */
export function formatFigure(value: number, against?: number): string {
  const short = value.toFixed(2)
  if (against === undefined || value === against || short !== against.toFixed(2)) return short
  return value.toFixed(4)
}
