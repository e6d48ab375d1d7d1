import { formatMiB, parseMemoryMiB, parseQuantity } from './quantity';

describe('quantities', () => {
  it('parses the spec memory forms into MiB', () => {
    expect(parseMemoryMiB('16Gi')).toBe(16384);
    expect(parseMemoryMiB('512Mi')).toBe(512);
    expect(() => parseMemoryMiB('16GB')).toThrow(/not a memory quantity/);
  });

  it('parses every form nodes and pods report', () => {
    expect(parseQuantity('16248572Ki')).toBe(16248572 * 1024);
    expect(parseQuantity('20Gi')).toBe(20 * 2 ** 30);
    expect(parseQuantity('17179869184')).toBe(17179869184);
    expect(parseQuantity('1.5G')).toBe(1.5e9);
    expect(parseQuantity('12e9')).toBe(12e9);
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(() => parseQuantity('20 GiB')).toThrow(/not a Kubernetes quantity/);
    expect(() => parseQuantity('')).toThrow(/not a Kubernetes quantity/);
  });

  it('formats MiB for people', () => {
    expect(formatMiB(20 * 1024)).toBe('20.0 GiB');
    expect(formatMiB(640)).toBe('640 MiB');
  });
});
