import { MEMORY_QUANTITY } from '../spec/schema';

/** Parses a Kubernetes memory quantity (`16Gi`, `512Mi`) into MiB. */
export function parseMemoryMiB(quantity: string): number {
  const match = MEMORY_QUANTITY.exec(quantity);
  if (!match) {
    throw new Error(
      `'${quantity}' is not a memory quantity such as '16Gi' or '512Mi'`,
    );
  }
  const value = Number(match[1]);
  return Math.round(match[3] === 'Gi' ? value * 1024 : value);
}

/** Formats MiB for people: `14.1 GiB`, `640 MiB`. */
export function formatMiB(mib: number): string {
  return mib >= 1024
    ? `${(mib / 1024).toFixed(1)} GiB`
    : `${Math.round(mib)} MiB`;
}
