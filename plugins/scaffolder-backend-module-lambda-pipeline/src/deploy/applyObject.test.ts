import { changedPaths } from './applyObject';

describe('changedPaths', () => {
  it('lists the paths that differ, never the values', () => {
    expect(
      changedPaths(
        {
          spec: {
            replicas: 1,
            template: { containers: [{ image: 'a:1' }, { image: 'b' }] },
          },
          data: { k: 'c2VjcmV0' },
        },
        {
          spec: {
            replicas: 2,
            template: { containers: [{ image: 'a:2' }, { image: 'b' }] },
          },
          data: { k: 'b3RoZXI=', n: 'x' },
        },
      ),
    ).toEqual([
      'data.k',
      'data.n',
      'spec.replicas',
      'spec.template.containers[0].image',
    ]);
    expect(changedPaths({ a: [1, 2] }, { a: [1] })).toEqual(['a']);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
