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

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Parses any Kubernetes quantity (`16248572Ki`, `16Gi`, `17179869184`,
 * `1.5G`, `12e9`) into its plain number (bytes for memory). Node and pod
 * status use every form, not only the `Mi`/`Gi` the spec accepts.
 */
export function parseQuantity(quantity: string): number {
  const match =
    /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/.exec(
      quantity.trim(),
    );
  if (!match) {
    throw new Error(
      `'${quantity}' is not a Kubernetes quantity such as '16Gi', '16248572Ki' or '500m'`,
    );
  }
  const value = Number(match[1]);
  return match[2]
    ? value * 10 ** Number(match[2].slice(1))
    : value * QUANTITY_SUFFIX[match[3] ?? ''];
}
