/**
 * A short, stable, dependency-free hash (FNV-1a, 32 bit) in base 36.
 *
 * Used to keep derived names unique and stable when a name has to be shortened
 * or rewritten to fit a target system's rules. It is not a security primitive.
 */
export function shortHash(input: string, length = 6): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, '0').slice(0, length);
}
